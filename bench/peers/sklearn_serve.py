"""Peer for `npm run bench:serve`: scikit-learn on the same data and forest size.

Run with Debian's interpreter (/usr/bin/python3, python3-sklearn + python3-pandas), not a
pyenv one. Prints one JSON object on stdout:

  single: predict_proba on one row at a time (p50/p99 latency, calls/s), the in-process cost
          of one prediction with no HTTP, validation or note scoring around it;
  batch:  file in -> file out on the batch CSV: pandas.read_csv, predict_proba on every row,
          DataFrame.to_csv of record_id, probability, class; rows/s and peak RSS.

The forest: 100 trees, sqrt features, bootstrap, fully grown (scikit-learn's defaults, and
ours), trained on WDBC with the same synthetic risk-score column the batch file carries.
"""
import argparse
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import RandomForestClassifier


def wdbc(path, seed=42):
    raw = pd.read_csv(path, header=None)
    X = raw.iloc[:, 2:].to_numpy(dtype=np.float64)
    y = (raw.iloc[:, 1] == "M").to_numpy().astype(np.int8)
    rng = np.random.default_rng(seed)
    score = np.where(y == 1, rng.integers(6, 11, len(y)), rng.integers(1, 5, len(y)))
    return np.column_stack([X, score]), y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--batch-file")
    ap.add_argument("--batch-out")
    ap.add_argument("--single", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()

    X, y = wdbc(args.data)
    model = RandomForestClassifier(n_estimators=100, max_features="sqrt", random_state=42, n_jobs=args.jobs)
    model.fit(X, y)
    out = {"sklearn": sklearn.__version__, "pandas": pd.__version__, "numpy": np.__version__, "n_jobs": args.jobs}

    # Single rows: warm up, then time each call.
    times = []
    for i in range(200):
        model.predict_proba(X[i % len(X)].reshape(1, -1))
    for i in range(args.single):
        row = X[i % len(X)].reshape(1, -1)
        t0 = time.perf_counter()
        model.predict_proba(row)
        times.append(time.perf_counter() - t0)
    times.sort()
    out["single"] = {
        "calls": len(times),
        "p50_s": times[len(times) // 2],
        "p99_s": times[min(len(times) - 1, int(len(times) * 0.99))],
        "calls_per_s": len(times) / sum(times),
    }

    if args.batch_file:
        features = [c for c in pd.read_csv(args.batch_file, nrows=0).columns if c != "record_id"]
        t0 = time.perf_counter()
        df = pd.read_csv(args.batch_file)
        t_read = time.perf_counter()
        p = model.predict_proba(df[features].to_numpy(dtype=np.float64))[:, 1]
        t_pred = time.perf_counter()
        pd.DataFrame(
            {"record_id": df["record_id"], "probability_malignant": p, "prediction": np.where(p >= 0.5, "malignant", "benign")}
        ).to_csv(args.batch_out, index=False)
        t_end = time.perf_counter()
        out["batch"] = {
            "rows": int(len(df)),
            "seconds": t_end - t0,
            "read_s": t_read - t0,
            "predict_s": t_pred - t_read,
            "write_s": t_end - t_pred,
            "rows_per_s": len(df) / (t_end - t0),
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
