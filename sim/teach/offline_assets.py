"""Solara's browser assets, for machines that cannot reach its CDN.

solara-server sends the page's JavaScript and CSS from a cache folder
(``$VENV/share/solara/cdn/``) and fills that cache from a public CDN on first use.  Where
only the package registries are reachable the page stays blank.  This fills the cache from
the npm registry instead, with ``npm pack`` (idempotent: packages already there are
skipped).  Users with internet access never need it; the browser test runs it first.

    python -m sim.teach.offline_assets          # install what is missing, print the folder
    python -m sim.teach.offline_assets --check  # exit 1 if anything is missing
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGES: tuple[str, ...] = (
    "@widgetti/solara-vuetify-app@10.1.1",  # the page itself (ipyvue/ipyvuetify 1.x)
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",  # solara.GridDraggable (SolaraViz's grid)
)
"""npm packages solara-server 1.x asks its CDN for (platform-notes; a test checks these
versions against the installed solara)."""


class AssetsError(RuntimeError):
    """The assets could not be installed (no npm, no registry)."""


def cache_dir() -> Path:
    """solara-server's CDN cache folder for this Python environment."""
    from solara.server.settings import assets

    return Path(assets.proxy_cache_dir)


def _folder(cache: Path, spec: str) -> Path:
    return cache / spec  # e.g. cache/@widgetti/solara-vuetify-app@10.1.1


def missing(cache: Path | None = None) -> list[str]:
    """Packages not yet unpacked in the cache."""
    cache = cache_dir() if cache is None else cache
    return [spec for spec in PACKAGES if not (_folder(cache, spec) / "package.json").is_file()]


def install(cache: Path | None = None, npm: str = "npm") -> list[str]:
    """Unpack every missing package into the cache; returns those installed."""
    cache = cache_dir() if cache is None else cache
    todo = missing(cache)
    if not todo:
        return []
    exe = shutil.which(npm)
    if exe is None:
        raise AssetsError(f"'{npm}' not found: install Node.js/npm (Debian: apt-get install "
                          "npm) to fetch solara's assets from the npm registry")
    with tempfile.TemporaryDirectory(prefix="solara-assets-") as tmp:
        try:
            out = subprocess.run([exe, "pack", *todo, "--json", "--pack-destination", tmp],
                                 capture_output=True, text=True, check=True, timeout=300,
                                 cwd=tmp)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            raise AssetsError(f"npm pack failed: {detail.strip()[-500:]}") from None
        files = [entry["filename"] for entry in json.loads(out.stdout)]
        for spec, filename in zip(todo, files, strict=True):
            _unpack(Path(tmp) / Path(filename).name, _folder(cache, spec))
    return todo


def _unpack(tarball: Path, target: Path) -> None:
    """Unpack an npm tarball (its files sit under ``package/``) into ``target``, whole or
    not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
    try:
        with tarfile.open(tarball) as tar:
            tar.extractall(staging, filter="data")
        root = staging / "package"
        if not (root / "package.json").is_file():
            raise AssetsError(f"{tarball.name}: no package/package.json inside")
        if target.exists():
            shutil.rmtree(target)
        root.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.teach.offline_assets",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report what is missing")
    parser.add_argument("--cache", type=Path, help="cache folder (default: solara's)")
    args = parser.parse_args(argv)
    cache = args.cache or cache_dir()
    if args.check:
        gone = missing(cache)
        print(f"{cache}: " + (f"missing {', '.join(gone)}" if gone else "complete"))
        return 1 if gone else 0
    try:
        done = install(cache)
    except AssetsError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{cache}: " + (f"installed {', '.join(done)}" if done else "already complete"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
