# Prints 100000 draws of the correlated 10-D normal of ar10.yaml as CSV.
import random
random.seed(1)
print(",".join(f"x{i}" for i in range(1, 11)))
for _ in range(100000):
    x = [random.gauss(0, 1)]
    for i in range(9):
        x.append(0.9 * x[-1] + random.gauss(0, 0.19 ** 0.5))
    print(",".join(f"{v:.6f}" for v in x))
