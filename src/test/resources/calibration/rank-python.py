"""Writes rank-python.csv: the calibration rank k = ceil((n+1)(1-alpha)) exactly as Python evaluates it
(training/CONTRACT.md), so OrderStatisticTest can check that Java picks the same k for every (n, alpha).

    python3 src/test/resources/calibration/rank-python.py > src/test/resources/calibration/rank-python.csv
"""
import math

ALPHAS = [0.5, 0.3, 0.2, 0.1, 0.07, 0.05, 0.03, 0.02, 0.01, 0.005, 0.003, 0.001]
NS = list(range(0, 202)) + [299, 300, 333, 500, 999, 1000, 1001, 5000]

print("# written by rank-python.py; do not edit")
print("n,alpha,k")
for alpha in ALPHAS:
    for n in NS:
        print(f"{n},{alpha!r},{math.ceil((n + 1) * (1 - alpha))}")
