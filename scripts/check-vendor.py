#!/usr/bin/env python3
"""Check the vendored crates in vendor/ (cargo audit skips path crates).

For each vendor/*/Cargo.toml (name, version):

1. Source: the vendored tree must equal the crate published on crates.io, plus
   vendor/patches/NAME.diff applied to it, plus the files vendor/PATCHES.toml
   says were copied in from another published crate. Byte for byte, every file,
   nothing missing, nothing extra. The diff must change exactly the files that
   vendor/PATCHES.toml lists (with their hunk counts), every hunk must add a
   marker comment naming vendor/README.md, and vendor/README.md must name every
   changed or copied file as `NAME/PATH`.
2. Advisories: no advisory of the RustSec database (crates/NAME/*.md) may
   include the vendored version in its affected versions. Informational
   advisories (unmaintained, unsound, notice) are printed, not failed, as
   cargo audit does.

The published .crate comes from cargo's registry cache; when it is not there,
a throw-away manifest depending on NAME = "=VERSION" is `cargo fetch`ed (the
workspace itself never downloads the originals: [patch.crates-io]). crates.io is
the only network this needs.

The advisory database: $ADVISORY_DB, else ../shared/advisory-db beside the
repository, else the one cargo audit fetched ($CARGO_HOME/advisory-db; run
scripts/audit.sh first).

Usage:
  python3 scripts/check-vendor.py                  check (exit 0 ok, 1 failed, 2 could not check)
  python3 scripts/check-vendor.py --update-patches regenerate vendor/patches/*.diff from vendor/
                                                   (after a deliberate change; then update
                                                   vendor/PATCHES.toml and vendor/README.md)
"""

from __future__ import annotations

import difflib
import glob
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "vendor"
MANIFEST = VENDOR / "PATCHES.toml"
README = VENDOR / "README.md"
MARKER = "vendor/README.md"

failures: list[str] = []


def fail(msg: str) -> None:
    failures.append(msg)
    print(f"FAIL: {msg}", flush=True)


def die(msg: str) -> None:
    sys.stdout.flush()
    print(f"check-vendor: cannot check: {msg}", file=sys.stderr, flush=True)
    sys.exit(2)


def rel(p: Path) -> str:
    try:
        return str(p.relative_to(ROOT))
    except ValueError:
        return str(p)


# ---------------------------------------------------------------- semver ----
# RustSec's reading of the `semver` requirements in `patched` and `unaffected` (rustsec's
# osv/unaffected_range.rs, which cargo audit uses): each requirement is one range of
# versions, ordered by semver precedence, pre-releases included. A comma list has at most
# one lower and one upper bound: `>= 1.2.3`, `> 0.3`, `< 2`, `<= 0.3.0`, `>=1.0, <1.2`.
# A partial version is filled with zeros (`< 2` = `< 2.0.0`). `=V` is V alone; `^V` (also a
# bare `V`) and `~V` run from V to the next incompatible version, whose pre-releases
# excluded (`^0.9` = [0.9.0, 0.10.0-0)).

_VERSION_RE = re.compile(
    r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)
_CMP_RE = re.compile(
    r"^(=|>=|<=|>|<|~|\^)?\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?"
    r"(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)


def _pre_key(pre: str):
    # An empty pre-release sorts above any other (1.0.0 > 1.0.0-rc.1); numeric
    # identifiers sort numerically and below alphanumeric ones; a longer list of equal
    # leading identifiers sorts above a shorter one.
    if not pre:
        return (1,)
    return (0, tuple((0, int(i), "") if i.isdigit() else (1, 0, i) for i in pre.split(".")))


@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: str = ""

    @staticmethod
    def parse(s: str) -> "Version":
        m = _VERSION_RE.match(s.strip())
        if not m:
            raise ValueError(f"not a semver version: {s!r}")
        return Version(int(m[1]), int(m[2]), int(m[3]), m[4] or "")

    def key(self):
        return (self.major, self.minor, self.patch, _pre_key(self.pre))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}" + (f"-{self.pre}" if self.pre else "")


@dataclass(frozen=True)
class VersionReq:
    """One requirement as a range: (version, inclusive) bounds, None for unbounded."""

    text: str
    start: tuple[Version, bool] | None
    end: tuple[Version, bool] | None

    @staticmethod
    def parse(text: str) -> "VersionReq":
        parts = [p.strip() for p in text.split(",")]
        if len(parts) > 2:
            raise ValueError(f"more than two comparators in {text!r}")
        start = end = None
        for part in parts:
            m = _CMP_RE.match(part)
            if not m:
                raise ValueError(f"not a semver requirement (or an unsupported form): {text!r}")
            op = m[1] or "^"
            major = int(m[2])
            minor = None if m[3] is None else int(m[3])
            patch = None if m[4] is None else int(m[4])
            if patch is None and m[5]:
                raise ValueError(f"a pre-release without a full version in {text!r}")
            v = Version(major, minor or 0, patch or 0, m[5] or "")
            if op in ("=", "^", "~"):
                if len(parts) != 1:
                    raise ValueError(f"{op}V must be alone in its requirement: {text!r}")
                if op == "=":
                    return VersionReq(text, (v, True), (v, True))
                if op == "~":
                    upper = Version(major + 1, 0, 0) if minor is None else Version(major, minor + 1, 0)
                elif major > 0:
                    upper = Version(major + 1, 0, 0)
                elif minor is None:
                    upper = Version(1, 0, 0)
                elif minor == 0 and patch is not None:
                    upper = Version(0, 0, patch + 1)
                else:
                    upper = Version(0, minor + 1, 0)
                return VersionReq(text, (v, True), (Version(upper.major, upper.minor, upper.patch, "0"), False))
            if op in (">", ">="):
                if start is not None:
                    raise ValueError(f"two lower bounds in {text!r}")
                start = (v, op == ">=")
            else:
                if end is not None:
                    raise ValueError(f"two upper bounds in {text!r}")
                end = (v, op == "<=")
        return VersionReq(text, start, end)

    def matches(self, v: Version) -> bool:
        k = v.key()
        if self.start is not None:
            s, inclusive = self.start
            if k < s.key() or (k == s.key() and not inclusive):
                return False
        if self.end is not None:
            e, inclusive = self.end
            if k > e.key() or (k == e.key() and not inclusive):
                return False
        return True


# ------------------------------------------------------------ advisories ----


@dataclass
class Advisory:
    id: str
    package: str
    path: Path
    informational: str | None
    withdrawn: str | None
    title: str
    patched: list[VersionReq]
    unaffected: list[VersionReq]

    def affects(self, v: Version) -> bool:
        return not any(r.matches(v) for r in self.patched + self.unaffected)


def parse_advisory(path: Path) -> Advisory:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        m = re.match(r"\s*```toml[ \t]*\n(.*?)\n```[ \t]*(?:\n|$)(.*)", text, re.S)
        if not m:
            raise ValueError("no ```toml front matter")
        front, body = m[1], m[2]
        t = re.search(r"^#\s+(.+)$", body, re.M)
        title = t[1].strip() if t else ""
    else:  # the database's older layout: plain TOML
        front, title = text, ""
    data = tomllib.loads(front)
    adv = data.get("advisory", {})
    versions = data.get("versions", {})
    return Advisory(
        id=adv.get("id", path.stem),
        package=adv.get("package", path.parent.name),
        path=path,
        informational=adv.get("informational"),
        withdrawn=adv.get("withdrawn"),
        title=title or adv.get("title", ""),
        patched=[VersionReq.parse(r) for r in versions.get("patched", [])],
        unaffected=[VersionReq.parse(r) for r in versions.get("unaffected", [])],
    )


def locate_advisory_db() -> tuple[Path, str]:
    env = os.environ.get("ADVISORY_DB")
    if env:
        p = Path(env)
        if not (p / "crates").is_dir():
            die(f"ADVISORY_DB={env} has no crates/ folder: not a RustSec advisory database")
        return p, "ADVISORY_DB"
    snap = ROOT.parent / "shared" / "advisory-db"
    if (snap / "crates").is_dir():
        return snap, "snapshot"
    fetched = cargo_home() / "advisory-db"
    if (fetched / "crates").is_dir():
        return fetched, "fetched by cargo audit"
    die(
        f"no advisory database: ADVISORY_DB is unset, there is no snapshot at {snap}, "
        f"and cargo audit has not fetched one into {fetched} (run scripts/audit.sh first)"
    )
    raise AssertionError


def db_description(db: Path) -> str:
    snap = db / "SNAPSHOT.md"
    if snap.is_file():
        m = re.search(r"commit\s+([0-9a-f]{40})\s+of\s+(\d{4}-\d{2}-\d{2})", snap.read_text())
        if m:
            return f"commit {m[1][:12]} of {m[2]}"
    try:
        out = subprocess.run(
            ["git", "-C", str(db), "log", "-1", "--format=%h of %cs"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        return f"commit {out}"
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"


def check_advisories(db: Path, name: str, version: Version) -> None:
    paths = sorted(glob.glob(str(db / "crates" / name / "*.md"))) + sorted(
        glob.glob(str(db / "crates" / name / "*.toml"))
    )
    hits = 0
    for p in map(Path, paths):
        try:
            adv = parse_advisory(p)
        except (ValueError, tomllib.TOMLDecodeError) as e:
            fail(f"{p}: cannot parse advisory ({e}); cannot tell whether it affects {name} {version}")
            continue
        if adv.package != name:
            continue
        if adv.withdrawn:
            print(f"  {adv.id}: withdrawn {adv.withdrawn}, ignored")
            continue
        if not adv.affects(version):
            continue
        hits += 1
        reqs = ("patched: " + " or ".join(f'"{r.text}"' for r in adv.patched)) if adv.patched else "no patched version"
        if adv.informational:
            print(f"  WARNING {adv.id} ({adv.informational}) affects vendored {name} {version}: "
                  f"{adv.title} [{reqs}; {rel(p)}]")
        else:
            fail(f"advisory {adv.id} affects vendored {name} {version}: {adv.title} "
                 f"[{reqs}; {rel(p)}]")
    print(f"  advisories for {name}: {len(paths)} in the database, {hits} affect {version}")


# ------------------------------------------------------------- crates.io ----


def cargo_home() -> Path:
    return Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))


def find_cached_crate(name: str, version: str) -> Path | None:
    hits = sorted(glob.glob(str(cargo_home() / "registry" / "cache" / "*" / f"{name}-{version}.crate")))
    return Path(hits[0]) if hits else None


def fetch_crates(wanted: list[tuple[str, str]], tmp: Path) -> None:
    """`cargo fetch` a throw-away manifest that depends on NAME = "=VERSION" for each."""
    proj = tmp / "fetch"
    (proj / "src").mkdir(parents=True)
    (proj / "src" / "lib.rs").write_text("")
    deps = "\n".join(f'{n} = {{ version = "={v}", default-features = false }}' for n, v in wanted)
    (proj / "Cargo.toml").write_text(
        "[package]\nname = \"vendor-pristine-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n"
        "publish = false\n\n[workspace]\n\n[dependencies]\n" + deps + "\n"
    )
    # The workspace's lock file as a seed: the resolution keeps the versions it already
    # has, so only the originals themselves are downloaded, not a newer dependency tree.
    lock = ROOT / "Cargo.lock"
    if lock.is_file():
        shutil.copyfile(lock, proj / "Cargo.lock")
    what = ", ".join(f"{n} {v}" for n, v in wanted)
    print(f"  fetching the published {what} from crates.io (cargo fetch, throw-away manifest)",
          flush=True)
    r = subprocess.run(["cargo", "fetch", "--quiet", "--manifest-path", str(proj / "Cargo.toml")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        die(f"cargo fetch of {what} failed:\n{r.stderr.strip()}")


def read_crate(path: Path, name: str, version: str) -> dict[str, bytes]:
    prefix = f"{name}-{version}/"
    files: dict[str, bytes] = {}
    with tarfile.open(path, "r:gz") as tar:
        for m in tar.getmembers():
            if m.isdir():
                continue
            if not m.name.startswith(prefix) or ".." in Path(m.name).parts:
                die(f"{path}: unexpected member {m.name!r}")
            if not m.isfile():
                die(f"{path}: {m.name} is not a regular file")
            f = tar.extractfile(m)
            assert f is not None
            files[m.name[len(prefix):]] = f.read()
    return files


def read_tree(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            p = Path(dirpath) / fn
            r = p.relative_to(root).as_posix()
            if p.is_symlink() or not p.is_file():
                fail(f"{rel(p)} is not a regular file")
                continue
            files[r] = p.read_bytes()
    return files


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for r, data in files.items():
        p = root / r
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


# ------------------------------------------------------------ the diff ----


def git_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_CEILING_DIRECTORIES"] = str(tmp)  # never mistake a parent folder for a repository
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    return env


@dataclass
class FileDiff:
    path: str
    hunks: list[list[str]] = field(default_factory=list)  # added lines of each hunk


_HUNK_RE = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def parse_diff(text: str, where: str) -> dict[str, FileDiff]:
    """The files of a unified diff and the added lines of each hunk (hunk bodies are
    consumed by their line counts, so a removed `-- x` line is not a file header)."""
    files: dict[str, FileDiff] = {}
    cur: FileDiff | None = None
    old = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("--- "):
            old = line[4:].split("\t")[0]
        elif line.startswith("+++ "):
            new = line[4:].split("\t")[0]
            name = new if new != "/dev/null" else old
            if name is None or "/" not in name:
                die(f"{where}: cannot read the file name in {line!r}")
            path = name.split("/", 1)[1]
            cur = files.setdefault(path, FileDiff(path))
        elif line.startswith("@@"):
            m = _HUNK_RE.match(line)
            if cur is None or not m:
                die(f"{where}: line {i}: a hunk header out of place or unreadable: {line!r}")
            n_old = 1 if m[1] is None else int(m[1])
            n_new = 1 if m[2] is None else int(m[2])
            added: list[str] = []
            while n_old > 0 or n_new > 0:
                if i >= len(lines):
                    die(f"{where}: the diff ends inside a hunk of {cur.path}")
                body = lines[i]
                i += 1
                if body.startswith("\\"):  # "\ No newline at end of file"
                    continue
                tag = body[:1]
                if tag == "+":
                    n_new -= 1
                    added.append(body[1:])
                elif tag == "-":
                    n_old -= 1
                elif tag in (" ", ""):
                    n_old -= 1
                    n_new -= 1
                else:
                    die(f"{where}: line {i}: not a hunk line: {body!r}")
            cur.hunks.append(added)
    return files


def apply_diff(tree: Path, diff: Path, tmp: Path) -> None:
    r = subprocess.run(
        ["git", "apply", "-p1", "--whitespace=nowarn", str(diff)],
        cwd=tree, capture_output=True, text=True, env=git_env(tmp),
    )
    if r.returncode != 0:
        fail(f"{rel(diff)} does not apply to the published crate:\n{r.stderr.strip()}")


def make_diff(a: dict[str, bytes], b: dict[str, bytes], tmp: Path) -> str:
    work = tmp / "mkdiff"
    if work.exists():
        shutil.rmtree(work)
    (work / "a").mkdir(parents=True)
    (work / "b").mkdir(parents=True)
    write_tree(work / "a", a)
    write_tree(work / "b", b)
    r = subprocess.run(
        ["git", "diff", "--no-index", "--no-prefix", "--no-renames", "--no-color",
         "--no-ext-diff", "--diff-algorithm=myers", "-U3", "a", "b"],
        cwd=work, capture_output=True, env=git_env(tmp),
    )
    if r.returncode not in (0, 1):
        die(f"git diff failed: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout.decode("utf-8")


def show_difference(path: str, want: bytes, have: bytes) -> None:
    try:
        w, h = want.decode().splitlines(), have.decode().splitlines()
    except UnicodeDecodeError:
        print(f"    (binary: {len(want)} bytes expected, {len(have)} found)")
        return
    lines = list(difflib.unified_diff(w, h, f"expected/{path}", f"vendor/{path}", lineterm="", n=2))
    for line in lines[:40]:
        print(f"    {line}")
    if len(lines) > 40:
        print(f"    ... ({len(lines) - 40} more lines)")


# ------------------------------------------------------------- the crates ----


@dataclass
class Vendored:
    dir: Path
    name: str
    version: str
    spec: dict


def load_vendored() -> list[Vendored]:
    if not MANIFEST.is_file() and not list(VENDOR.glob("*/Cargo.toml")):
        return []  # nothing vendored (any more)
    if not MANIFEST.is_file():
        die(f"{rel(MANIFEST)} is missing")
    try:
        manifest = tomllib.loads(MANIFEST.read_text())
    except tomllib.TOMLDecodeError as e:
        die(f"{rel(MANIFEST)}: {e}")
    out = []
    seen = set()
    for toml_path in sorted(VENDOR.glob("*/Cargo.toml")):
        d = toml_path.parent
        try:
            pkg = tomllib.loads(toml_path.read_text())["package"]
            name, version = pkg["name"], pkg["version"]
        except (tomllib.TOMLDecodeError, KeyError, TypeError) as e:
            die(f"{rel(toml_path)}: no [package] name and version ({e})")
        spec = manifest.get(d.name)
        if spec is None:
            fail(f"{rel(d)} ({name} {version}) has no entry in {rel(MANIFEST)}: every vendored "
                 f"crate needs one, with its patch (see vendor/README.md)")
            continue
        seen.add(d.name)
        if name != d.name:
            fail(f"{rel(toml_path)} is package {name!r}; vendor/ folders are named after the package")
        if spec.get("version") != version:
            fail(f"{rel(MANIFEST)} describes {d.name} {spec.get('version')} but {rel(toml_path)} "
                 f"is {version}: after an upgrade, redo the patches and update {rel(MANIFEST)}")
            continue
        out.append(Vendored(d, name, version, spec))
    for extra in sorted(set(manifest) - seen - {p.parent.name for p in VENDOR.glob("*/Cargo.toml")}):
        fail(f"{rel(MANIFEST)} has [{extra}] but there is no vendor/{extra}/Cargo.toml")
    return out


def pristine(name: str, version: str) -> dict[str, bytes]:
    p = find_cached_crate(name, version)
    if p is None:
        die(f"{name} {version} is not in cargo's registry cache even after cargo fetch")
    return read_crate(p, name, version)


def expected_tree(v: Vendored, tmp: Path) -> tuple[dict[str, bytes], dict[str, FileDiff]]:
    """The published crate + the stored diff + the copied files, and the parsed diff."""
    base = pristine(v.name, v.version)
    diff_path = VENDOR / v.spec.get("diff", f"patches/{v.name}.diff")
    diffs: dict[str, FileDiff] = {}
    tree = dict(base)
    if diff_path.is_file():
        work = tmp / f"expected-{v.name}"
        write_tree(work, base)
        apply_diff(work, diff_path, tmp)
        tree = read_tree(work)
        diffs = parse_diff(diff_path.read_text(encoding="utf-8"), rel(diff_path))
    elif v.spec.get("changed"):
        fail(f"{rel(MANIFEST)} lists changed files for {v.name} but {rel(diff_path)} is missing")
    for c in v.spec.get("copied", []):
        src = pristine(c["from"], c["version"])
        if c["file"] not in src:
            fail(f"{rel(MANIFEST)}: {c['from']} {c['version']} has no {c['file']} "
                 f"to copy to {v.name}/{c['file']}")
            continue
        tree[c["file"]] = src[c["file"]]
    return tree, diffs


def check_declared(v: Vendored, diffs: dict[str, FileDiff]) -> None:
    diff_name = rel(VENDOR / v.spec.get("diff", f"patches/{v.name}.diff"))
    declared = {c["file"]: c for c in v.spec.get("changed", [])}
    readme = README.read_text(encoding="utf-8") if README.is_file() else ""
    for path in sorted(set(diffs) - set(declared)):
        fail(f"{diff_name} changes {path}, which [{v.name}] in {rel(MANIFEST)} does not list "
             f"(and vendor/README.md must explain)")
    for path in sorted(set(declared) - set(diffs)):
        fail(f"{rel(MANIFEST)} lists {v.name}/{path} as changed but {diff_name} does not change it")
    for path in sorted(set(diffs) & set(declared)):
        want, have = declared[path].get("hunks"), len(diffs[path].hunks)
        if want != have:
            fail(f"{diff_name} has {have} hunk(s) in {path}, {rel(MANIFEST)} says {want}: "
                 f"a hunk vendor/README.md does not list?")
        for i, added in enumerate(diffs[path].hunks, 1):
            if not any(MARKER in line for line in added):
                fail(f"{diff_name}: hunk {i} of {path} adds no marker comment naming {MARKER}")
    for path in sorted(set(declared) | {c["file"] for c in v.spec.get("copied", [])}):
        if f"{v.name}/{path}" not in readme:
            fail(f"vendor/README.md does not name {v.name}/{path}, which the vendored copy changes")


def check_source(v: Vendored, tmp: Path) -> None:
    want, diffs = expected_tree(v, tmp)
    check_declared(v, diffs)
    have = read_tree(v.dir)
    origin = f"the published {v.name} {v.version}"
    if diffs:
        origin += f" + {v.spec.get('diff', f'patches/{v.name}.diff')}"
    if v.spec.get("copied"):
        origin += " + its copied files"
    copied = {c["file"]: f"the {c['file']} of the published {c['from']} {c['version']} "
              f"(copied in, {rel(MANIFEST)})" for c in v.spec.get("copied", [])}
    bad = 0
    for path in sorted(set(want) | set(have)):
        if path not in have:
            fail(f"vendor/{v.name}/{path} is missing ({origin} has it)")
        elif path not in want:
            fail(f"vendor/{v.name}/{path} is not in {origin}: an undocumented file")
        elif want[path] != have[path]:
            fail(f"vendor/{v.name}/{path} differs from {copied.get(path, origin)}: an undocumented change")
            show_difference(f"{v.name}/{path}", want[path], have[path])
        else:
            continue
        bad += 1
    if not bad:
        print(f"  source: {len(have)} files equal {origin}")


def update_patches(vendored: list[Vendored], tmp: Path) -> None:
    for v in vendored:
        base = pristine(v.name, v.version)
        have = read_tree(v.dir)
        for c in v.spec.get("copied", []):  # copied files are checked against their source instead
            if c["file"] in base:
                have[c["file"]] = base[c["file"]]
            else:
                have.pop(c["file"], None)
        text = make_diff(base, have, tmp)
        out = VENDOR / v.spec.get("diff", f"patches/{v.name}.diff")
        if text:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            print(f"wrote {rel(out)}:")
            for path, fd in parse_diff(text, rel(out)).items():
                print(f"  {path}: {len(fd.hunks)} hunk(s)")
        elif out.exists():
            out.unlink()
            print(f"removed {rel(out)}: vendor/{v.name} now equals the published crate")
    print(f"now make [NAME].changed in {rel(MANIFEST)} and vendor/README.md say the same")


def main() -> None:
    args = sys.argv[1:]
    if args not in ([], ["--update-patches"]):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    vendored = load_vendored()
    if not vendored and not failures:
        print("check-vendor: ok (nothing vendored)")
        return
    with tempfile.TemporaryDirectory(prefix="check-vendor-") as t:
        tmp = Path(t)
        wanted = sorted(
            {(v.name, v.version) for v in vendored}
            | {(c["from"], c["version"]) for v in vendored for c in v.spec.get("copied", [])}
        )
        missing = [(n, ver) for n, ver in wanted if find_cached_crate(n, ver) is None]
        if missing:
            fetch_crates(missing, tmp)
        if args == ["--update-patches"]:
            update_patches(vendored, tmp)
            return
        db, how = locate_advisory_db()
        print(f"advisory database: {db} ({how}, {db_description(db)})")
        for v in vendored:
            print(f"vendor/{v.dir.name}: {v.name} {v.version}", flush=True)
            check_source(v, tmp)
            try:
                check_advisories(db, v.name, Version.parse(v.version))
            except ValueError as e:
                fail(f"vendor/{v.dir.name}: {e}")
    sys.stdout.flush()
    if failures:
        print(f"check-vendor: {len(failures)} problem(s) in vendor/ (see FAIL lines above)",
              file=sys.stderr)
        sys.exit(1)
    print(f"check-vendor: ok ({len(vendored)} vendored crates)")


if __name__ == "__main__":
    main()
