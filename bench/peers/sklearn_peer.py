"""scikit-learn side of `npm run bench:model`.

Reads the data the TypeScript bench wrote (raw little-endian arrays, so both sides use the
very same rows and folds), runs RandomForestClassifier with the bench's settings and prints one
JSON object on stdout. Run by bench/model.bench.ts with Debian's /usr/bin/python3.
"""
import json
import os
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier


def load(dirname, name, dtype, cols=None):
    a = np.fromfile(os.path.join(dirname, name), dtype=dtype)
    return a.reshape(-1, cols) if cols else a


def model(cfg):
    return RandomForestClassifier(
        n_estimators=cfg["trees"],
        max_features="sqrt",
        min_samples_leaf=1,
        bootstrap=True,
        n_jobs=1,
        random_state=cfg["seed"],
    )


def main():
    dirname = sys.argv[1]
    cfg = json.load(open(os.path.join(dirname, "config.json")))
    d = cfg["d"]
    X = load(dirname, "X.f64", "<f8", d)
    y = load(dirname, "y.u8", "u1").astype(np.int64)
    folds = load(dirname, "folds.i32", "<i4")
    out = {"version": sklearn.__version__, "numpy": np.__version__}

    # 5-fold CV: out-of-fold P(malignant) for every row (metrics are computed by the bench).
    oof = np.zeros(len(y))
    for f in range(cfg["folds"]):
        tr, te = folds != f, folds == f
        m = model(cfg).fit(X[tr], y[tr])
        oof[te] = m.predict_proba(X[te])[:, 1]
    out["oof"] = oof.tolist()

    # Fit time on all rows: warm-up, then the best and median of several runs.
    model(cfg).fit(X, y)
    times = []
    for _ in range(cfg["fitRepeats"]):
        t = time.perf_counter()
        m = model(cfg).fit(X, y)
        times.append(time.perf_counter() - t)
    out["fitSeconds"] = {"best": min(times), "median": float(np.median(times))}

    # Single-row latency: predict_proba on one row at a time.
    lat = []
    for i in range(cfg["latencyCalls"]):
        row = X[i % len(X)].reshape(1, -1)
        t = time.perf_counter_ns()
        m.predict_proba(row)
        lat.append(time.perf_counter_ns() - t)
    lat = np.array(lat[min(50, len(lat) // 10):])  # drop warm-up calls
    out["latencyNs"] = {"p50": float(np.percentile(lat, 50)), "p99": float(np.percentile(lat, 99))}

    # Batch throughput on the bench's 1,000,000 rows (WDBC rows repeated).
    big = np.tile(X, (cfg["batchRows"] // len(X) + 1, 1))[: cfg["batchRows"]]
    best = None
    for _ in range(cfg["batchRepeats"]):
        t = time.perf_counter()
        m.predict_proba(big)
        s = time.perf_counter() - t
        best = s if best is None else min(best, s)
    out["batchSeconds"] = best

    # Fit time on jittered copies.
    out["scale"] = {}
    for n in cfg["scaleRows"]:
        Xs = load(dirname, f"X{n}.f64", "<f8", d)
        ys = load(dirname, f"y{n}.u8", "u1").astype(np.int64)
        t = time.perf_counter()
        model(cfg).fit(Xs, ys)
        out["scale"][str(n)] = time.perf_counter() - t

    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
