"""Where a container image comes from, parsed from its reference alone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ImageSource = Literal["ecr_same_region", "ecr_other_region", "ecr_public", "docker_hub", "other_registry"]

_ECR = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?P<cn>\.cn)?/"
    r"(?P<repository>[^:@]+)(?P<reference>[:@].*)?$"
)


_DOCKER_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})


@dataclass(frozen=True)
class ImageRef:
    image: str
    source: ImageSource
    registry: str
    repository: str
    account: str | None = None
    region: str | None = None
    partition: str = "aws"
    # ":tag" or "@sha256:...", as written (":latest" when the image names neither).
    reference: str = ":latest"

    @property
    def repository_arn(self) -> str | None:
        if self.account is None or self.region is None:
            return None
        return f"arn:{self.partition}:ecr:{self.region}:{self.account}:repository/{self.repository}"


def parse_image(image: str, workload_region: str) -> ImageRef:
    match = _ECR.match(image)
    if match:
        region = match["region"]
        return ImageRef(
            image=image,
            source="ecr_same_region" if region == workload_region else "ecr_other_region",
            registry=image.split("/", 1)[0],
            repository=match["repository"],
            account=match["account"],
            region=region,
            partition="aws-cn" if match["cn"] else "aws",
            reference=match["reference"] or ":latest",
        )
    name, reference = _split_reference(image)
    first, _, rest = name.partition("/")
    # Docker's rule: the first path part is a registry host only if it has a dot or colon, or is localhost.
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        return ImageRef(image=image, source="docker_hub", registry="docker.io", repository=name, reference=reference)
    if first in _DOCKER_HUB_HOSTS:
        return ImageRef(image=image, source="docker_hub", registry="docker.io", repository=rest, reference=reference)
    if first == "public.ecr.aws":
        return ImageRef(image=image, source="ecr_public", registry=first, repository=rest, reference=reference)
    return ImageRef(image=image, source="other_registry", registry=first, repository=rest, reference=reference)


def _split_reference(image: str) -> tuple[str, str]:
    """("registry/repo", "@sha256:..." or ":tag" or ":latest"); a colon before the last slash is a port."""
    if "@" in image:
        name, _, digest = image.partition("@")
        return name, f"@{digest}"
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon:]
    return image, ":latest"
