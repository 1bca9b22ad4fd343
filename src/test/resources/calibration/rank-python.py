"""Writes rank-python.csv: the calibration rank k and the images needed, computed by the trainer's own
functions (training/lineside_train/calibrate.py), so OrderStatisticTest checks that Java picks the same
k as the trainer for every (n, alpha). Run from the repository root with the trainer's requirements:

    PYTHONPATH=training python3 src/test/resources/calibration/rank-python.py > src/test/resources/calibration/rank-python.csv
"""
import math

from lineside_train.calibrate import min_good_images, order_index

ALPHAS = [0.5, 0.3, 0.2, 0.1, 0.07, 0.05, 0.03, 0.02, 0.01, 0.005, 0.003, 0.001, 0.15, 0.12, 0.06, 0.0025]
NS = list(range(0, 202)) + [299, 300, 333, 399, 400, 500, 999, 1000, 1001, 5000]

print("# written by rank-python.py from the trainer's calibrate.order_index and min_good_images; do not edit")
print("n,alpha,k,needed")
for alpha in ALPHAS:
    for n in NS:
        print(f"{n},{alpha!r},{order_index(n, alpha)},{min_good_images(alpha)}")

# Where naive binary floating point, ceil((n + 1) * (1 - alpha)), would pick another k than the
# trainer's exact decimal arithmetic: the first such n for each alpha in 0.001 .. 0.999.
for i in range(1, 1000):
    alpha = i / 1000
    for n in range(0, 2000):
        if math.ceil((n + 1) * (1 - alpha)) != order_index(n, alpha):
            print(f"{n},{alpha!r},{order_index(n, alpha)},{min_good_images(alpha)}")
            break
