"""scikit-learn's side of bench/cart_vs_sklearn: trains DecisionTreeClassifier
on the matrix that the C++ side wrote and prints one line:
  sklearn accuracy <held-out accuracy> seconds <median fit seconds> nodes <count>
Run with Debian's /usr/bin/python3 (python3-sklearn)."""
import argparse
import statistics
import time

import numpy as np
from sklearn.tree import DecisionTreeClassifier


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--matrix", required=True, help="raw int64, rows x (cols + 1), label last")
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--cols", type=int, required=True)
    p.add_argument("--train-rows", type=int, required=True)
    p.add_argument("--max-depth", type=int, required=True)
    p.add_argument("--min-samples-leaf", type=int, default=1)
    p.add_argument("--criterion", default="gini")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    m = np.fromfile(a.matrix, dtype=np.int64).reshape(a.rows, a.cols + 1)
    # sklearn trains on float32; convert before timing so only fit() is measured.
    x = np.ascontiguousarray(m[:, :-1], dtype=np.float32)
    y = m[:, -1]
    xt, yt = x[: a.train_rows], y[: a.train_rows]
    xv, yv = x[a.train_rows :], y[a.train_rows :]
    times = []
    for _ in range(a.repeats):
        tree = DecisionTreeClassifier(max_depth=a.max_depth, min_samples_leaf=a.min_samples_leaf,
                                      criterion=a.criterion, random_state=a.seed)
        start = time.perf_counter()
        tree.fit(xt, yt)
        times.append(time.perf_counter() - start)
    accuracy = float((tree.predict(xv) == yv).mean()) if len(yv) else float("nan")
    print(f"sklearn accuracy {accuracy:.6f} seconds {statistics.median(times):.4f} "
          f"nodes {tree.tree_.node_count}", flush=True)


if __name__ == "__main__":
    main()
