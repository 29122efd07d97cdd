"""Build the real-image subset shipped in course/data/subset/ from the full standard sets.

    COURSE_DATA_DIR=/path/holding/mnist-and-fashion-mnist python tools/make_subset.py

For each data set and split it draws, with a fixed seed, the same number of images of every
class (1,000 per class for train, 200 for test), keeps them in their original order, and
writes gzip IDX files with the standard names, plus the chosen original indices and a
manifest with md5s. Running it again with the same seed and data gives identical files.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.data.download import FILES, MD5, md5_of  # noqa: E402
from course.data.idx import idx_bytes, parse_idx, read_idx_bytes, write_idx  # noqa: E402

PER_CLASS = {"train": 1000, "test": 200}
LICENCES = {
    "mnist": "MNIST (LeCun, Cortes, Burges), CC BY-SA 3.0",
    "fashion-mnist": "Fashion-MNIST (Xiao, Rasul, Vollgraf 2017, Zalando Research), MIT",
}


def read_standard(folder: Path, stem: str, md5: str) -> np.ndarray:
    """Read one full standard file (raw or .gz) and insist on its published md5."""
    path = next((p for p in (folder / stem, folder / f"{stem}.gz") if p.is_file()), None)
    if path is None:
        sys.exit(f"missing {folder / stem}[.gz]")
    data = read_idx_bytes(path)
    if md5_of(data) != md5:
        sys.exit(f"{path}: md5 {md5_of(data)} is not the standard {md5}")
    return parse_idx(data, path)


def choose(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices with exactly ``per_class`` randomly chosen examples of every class."""
    picks = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(10)]
    return np.sort(np.concatenate(picks))


def build(data_dir: Path, out: Path, seed: int) -> dict:
    """Write the subset files under ``out`` and return the manifest."""
    manifest = {
        "about": "Real images drawn from the standard sets by tools/make_subset.py; "
        "indices files hold the positions (0-based) of the chosen images in the full files.",
        "seed": seed,
        "per_class": PER_CLASS,
        "datasets": {},
    }
    for key in ("mnist", "fashion-mnist"):
        entry = {"licence": LICENCES[key], "source_md5": MD5[key], "files": {}, "indices": {}}
        for split, (images_stem, labels_stem) in FILES.items():
            rng = np.random.default_rng([seed, zlib.crc32(f"{key}/{split}".encode())])
            images = read_standard(data_dir / key, images_stem, MD5[key][images_stem])
            labels = read_standard(data_dir / key, labels_stem, MD5[key][labels_stem])
            chosen = choose(labels, PER_CLASS[split], rng)
            prefix = images_stem.split("-")[0]
            outputs = {
                f"{images_stem}.gz": images[chosen],
                f"{labels_stem}.gz": labels[chosen],
                f"{prefix}-indices-idx1-int.gz": chosen.astype(np.int32),
            }
            for name, array in outputs.items():
                path = write_idx(out / key / name, array)
                entry["files"][name] = {
                    "shape": list(array.shape),
                    "md5": md5_of(idx_bytes(array)),
                    "gz_md5": md5_of(path.read_bytes()),
                    "gz_bytes": path.stat().st_size,
                }
            entry["indices"][split] = f"{prefix}-indices-idx1-int.gz"
            print(f"{key} {split}: {len(chosen)} images, class counts {np.bincount(labels[chosen]).tolist()}")
        manifest["datasets"][key] = entry
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.environ.get("COURSE_DATA_DIR"),
                        help="folder holding mnist/ and fashion-mnist/ (default: $COURSE_DATA_DIR)")
    parser.add_argument("--out", default=str(ROOT / "course" / "data" / "subset"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.data_dir:
        sys.exit("set COURSE_DATA_DIR or pass --data-dir: the folder holding the full mnist/ and fashion-mnist/")
    out = Path(args.out)
    manifest = build(Path(args.data_dir), out, args.seed)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in out.glob("*/*.gz"))
    print(f"wrote {out} ({total / 1e6:.2f} MB of .gz files)")


if __name__ == "__main__":
    main()
