"""What the failed calls of a scan leave unknown, asked the way a check reads data.

A listing (DescribeSubnets, DescribeRouteTables...) that failed on any page is unknown as a whole: the
absence of an item then proves nothing. A lookup by id that finds its item reads complete data; one that
finds nothing while the listing (or the call for that id) failed is unknown. `MissingData` carries the
failed call's own description (operation, error, what to do), which becomes the ERROR message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from scanner.results import CollectionErrorRecord


class MissingData(Exception):
    """Data a verdict needs was not (completely) collected: the subject is ERROR, with this reason."""


@dataclass(frozen=True)
class Gaps:
    """The failed calls of one account and region (plus its global ones)."""

    errors: tuple[CollectionErrorRecord, ...] = ()
    # The first failure per action, and per (action, resource id; None for the whole call), indexed once:
    # checks ask per subject, and a failed batch can leave thousands of records (one per task ENI).
    _first: dict[str, CollectionErrorRecord] = field(init=False, repr=False, compare=False)
    _first_on: dict[tuple[str, str | None], CollectionErrorRecord] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        first: dict[str, CollectionErrorRecord] = {}
        first_on: dict[tuple[str, str | None], CollectionErrorRecord] = {}
        for error in self.errors:
            first.setdefault(error.action, error)
            first_on.setdefault((error.action, error.resource_id), error)
        object.__setattr__(self, "_first", first)
        object.__setattr__(self, "_first_on", first_on)

    @classmethod
    def of(cls, errors: Iterable[CollectionErrorRecord], region: str) -> Gaps:
        return cls(tuple(e for e in errors if e.region in (region, "global")))

    def listing(self, action: str) -> CollectionErrorRecord | None:
        """The first failure of `action` in the region: the listing it fills did not finish."""
        return self._first.get(action)

    def for_id(self, action: str, resource_id: str) -> CollectionErrorRecord | None:
        """The failure that leaves `resource_id` unread: one on that id, else one of the whole call."""
        return self._first_on.get((action, resource_id)) or self._first_on.get((action, None))

    def require_listing(self, action: str, what: str) -> None:
        """Raise MissingData when the listing `action` failed: `what` (its absence) cannot be judged."""
        error = self.listing(action)
        if error is not None:
            raise MissingData(f"{what} is unknown: {error.describe()}")

    def require_id(self, action: str, resource_id: str, what: str) -> None:
        """Raise MissingData when the call that reads `resource_id` failed."""
        error = self.for_id(action, resource_id)
        if error is not None:
            raise MissingData(f"{what} is unknown: {error.describe()}")

    def missing(self, action: str, resource_id: str, what: str) -> MissingData | None:
        """Why an item looked up by id was not found: a failed call (MissingData), or None (it is gone)."""
        error = self.for_id(action, resource_id)
        return MissingData(f"{what} could not be read: {error.describe()}") if error is not None else None
