"""`collect_account(profile, regions)`: the CLI's way in; builds the boto3 session, then `collect()`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from botocore.exceptions import ProfileNotFound

from scanner.collect.deadline import Deadline
from scanner.collect.session import collect
from scanner.errors import CredentialsError
from scanner.inventory.root import Inventory


def collect_account(
    profile: str | None,
    regions: Sequence[str] = (),
    *,
    all_regions: bool = False,
    progress: Callable[[str], None] | None = None,
    deadline: Deadline | None = None,
) -> Inventory:
    import boto3  # here, not at import time: the CLI's start-up stays fast

    try:
        session = boto3.session.Session(profile_name=profile)
    except ProfileNotFound as exc:
        raise CredentialsError(f"AWS profile '{profile}' not found; check --profile or ~/.aws/config") from exc
    return collect(session, list(regions) or None, all_regions=all_regions, progress=progress, deadline=deadline)
