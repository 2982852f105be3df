"""Reference: an RBF support vector machine trained on shifted copies of the few labelled digits.

With nine images a class, the raw-pixel nearest neighbour fails on digits written a pixel off
centre. Shifting every training image by one pixel in each direction teaches the model that
position does not change the label (nine times the data, for free), and an RBF SVM on those
images generalises more smoothly than a single neighbour. C and gamma are chosen by CV whose
folds hold out whole original images, so a shifted copy never validates its own source.
"""

import numpy as np
import pandas as pd
from scipy.ndimage import shift
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC

SIDE = 8
SHIFTS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]

train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
features = [c for c in train.columns if c.startswith("px")]
X = train[features].to_numpy(float) / 16.0
y = train["label"].to_numpy()
X_test = test[features].to_numpy(float) / 16.0


def augmented(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every image moved by each shift in SHIFTS (blank pixels fill the border)."""
    grids = images.reshape(-1, SIDE, SIDE)
    moved = [shift(grids, (0, dy, dx), order=0, cval=0.0) for dy, dx in SHIFTS]
    return np.concatenate(moved).reshape(-1, SIDE * SIDE), np.tile(labels, len(SHIFTS))


def cv_accuracy(C: float, gamma: float) -> float:
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    scores = []
    for fit_rows, held_rows in folds.split(X, y):
        model = SVC(C=C, gamma=gamma).fit(*augmented(X[fit_rows], y[fit_rows]))
        scores.append(np.mean(model.predict(X[held_rows]) == y[held_rows]))
    return float(np.mean(scores))


grid = [(C, gamma) for C in (1.0, 10.0) for gamma in (0.05, 0.1, 0.2, 0.4)]
scores = {params: cv_accuracy(*params) for params in grid}
C, gamma = max(grid, key=scores.get)
print(f"chosen: C={C}, gamma={gamma}")
print(f"self_reported_score: {scores[(C, gamma)]:.6f}")

model = SVC(C=C, gamma=gamma).fit(*augmented(X, y))
pd.DataFrame({"id": test["id"], "label": model.predict(X_test)}).to_csv(
    "submission.csv", index=False
)
