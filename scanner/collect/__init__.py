"""The collector: the only code that talks to AWS (read-only), filling an `Inventory`.

    collect(session, regions=None, *, all_regions=False, progress=None) -> Inventory
    required_actions() -> list[str]     the IAM actions the collectors call

One module per service (`ec2`, `ecs`, `iam`), each declaring its `ACTIONS`; `calls` turns failed calls
into `CollectionErrorRecord`s; `session` holds `collect` itself.
"""

from scanner.collect.account import collect_account
from scanner.collect.session import collect, required_actions

__all__ = ["collect", "collect_account", "required_actions"]
