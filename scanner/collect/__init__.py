"""The collector: the only code that talks to AWS (read-only), filling an `Inventory`.

    collect(session, regions=None, *, all_regions=False, progress=None) -> Inventory
    required_actions() -> list[str]     the IAM actions the collectors call

One module per service (`ec2`, `ecs`, `iam`, `secrets`, `kms`, `ssm`, `ecr`, `organizations`), each
declaring its `ACTIONS`; `dependencies` reads what task definitions reference (secrets, parameters, keys,
other accounts' repository policies); `calls` turns failed calls into `CollectionErrorRecord`s; `deadline`
stops all requests at the scan's `--timeout`; `session`
holds `collect` itself; `simulate` is the optional `--verify-live` cross-check (iam:SimulatePrincipalPolicy).
"""

from scanner.collect.account import collect_account
from scanner.collect.session import collect, required_actions

__all__ = ["collect", "collect_account", "required_actions"]
