"""Fitting a linear mixed model by profiled (RE)ML and penalised least squares, as lme4 does.

For relative covariance factors ``Lambda(theta)`` the penalised least-squares problem
``min ||y - X beta - Z Lambda u||^2 + ||u||^2`` is solved with a block Cholesky factorisation
(Bates et al. 2015, section 3). The term with the most groups (the respondent) has a
block-diagonal ``Lambda' Z' Z Lambda + I``: its blocks (1 x 1 or 2 x 2 per group) are factorised
in closed form, vectorised over the groups. The other terms (sites, casks, ...) have few
coefficients; their Schur complement is dense and factorised with LAPACK, its update from the
respondent blocks accumulated over (respondent, group) pairs (:mod:`.coupling`). Every product with
the data uses sufficient statistics computed once, so one evaluation of the profiled deviance
costs O(groups), not O(observations).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as la
from scipy import optimize
from threadpoolctl import threadpool_limits

from evaltools.analysis.lmm.coupling import Coupling, coupling_stats, schur_products
from evaltools.analysis.lmm.model import LmmError, ModelData

__all__ = ["LmmFit", "fit_lmm", "profile", "sufficient_stats", "derivatives", "MAX_DENSE_COEFS",
           "SINGULAR_TOL"]

#: Largest number of random coefficients outside the largest grouping factor (dense part).
MAX_DENSE_COEFS = 4000
#: A variance parameter (diagonal of a relative factor) below this is on the boundary
#: (lme4 ``isSingular(tol = 1e-4)``).
SINGULAR_TOL = 1e-4
#: Largest scaled gradient ``|H^-1 g|`` accepted at the optimum (lme4 checks 2e-3).
GRADIENT_TOL = 2e-3


@dataclass
class _Stats:
    """Cross-products of the data, computed once per model."""

    n: int
    p: int
    XX: np.ndarray
    Xy: np.ndarray
    yy: float
    k1: int = 0
    n1: int = 0
    A11: np.ndarray | None = None      # (n1, k1, k1)
    A1Xy: np.ndarray | None = None     # (n1, k1, p + 1): Z1' [X y] per group
    coupling: Coupling | None = None   # the other terms and their pairs with the first
    dense_terms: list = field(default_factory=list)   # (k, n_groups) of the other terms
    beta_ols: np.ndarray | None = None  # the response is y - X beta_ols (see sufficient_stats)
    R0: np.ndarray | None = None        # X = Q R0; the design used is Q


@dataclass
class Profile:
    """The penalised least-squares solution at one ``theta``."""

    ldL2: float
    ldRX2: float
    r2: float
    beta: np.ndarray
    RX: np.ndarray      # lower Cholesky factor of Q' V^-1 Q * sigma^2 (R_X' in lme4, for Q)
    R0: np.ndarray      # X = Q R0

    def deviance(self, n: int, reml: bool) -> float:
        p = len(self.beta)
        if reml:
            nmp = n - p
            return self.ldL2 + self.ldRX2 + nmp * (1 + np.log(2 * np.pi * self.r2 / nmp))
        return self.ldL2 + n * (1 + np.log(2 * np.pi * self.r2 / n))

    def cov_unscaled(self) -> np.ndarray:
        """``(X' V^-1 X)^-1 / sigma^2``: the covariance of beta divided by sigma^2."""
        inv_r0 = la.solve_triangular(self.R0, np.eye(len(self.beta)), lower=False)
        return inv_r0 @ la.cho_solve((self.RX, True), np.eye(len(self.beta))) @ inv_r0.T


@dataclass
class LmmFit:
    """A fitted linear mixed model.

    Attributes
    ----------
    beta, x_names : fixed effects and their names
    theta : relative covariance parameters in lme4's order (``getME(fit, "theta")``)
    sigma : residual standard deviation
    reml : REML (True) or ML fit
    loglik : log-likelihood (the REML criterion's for REML, as ``logLik`` in R)
    vcov : covariance matrix of beta
    covariances : per term, ``(label, coef_names, sigma^2 Lambda Lambda')``
    converged, singular : optimiser check and boundary fit (a variance estimated as 0)
    notes : what the user should know (dropped terms, boundary, convergence)
    """

    model: ModelData
    reml: bool
    theta: np.ndarray
    beta: np.ndarray
    sigma: float
    deviance: float
    vcov: np.ndarray
    converged: bool
    singular: bool
    n_evaluations: int
    notes: list[str]

    @property
    def x_names(self) -> list[str]:
        return self.model.x_names

    @property
    def loglik(self) -> float:
        return -self.deviance / 2

    @property
    def n_params(self) -> int:
        return len(self.beta) + len(self.theta) + 1

    @property
    def covariances(self) -> list[tuple[str, list[str], np.ndarray]]:
        out, start = [], 0
        for term in self.model.terms:
            lam = _lambda(self.theta[start:start + term.n_theta], term.k)
            out.append((term.label, term.coef_names, self.sigma ** 2 * lam @ lam.T))
            start += term.n_theta
        return out


def _lambda(theta: np.ndarray, k: int) -> np.ndarray:
    """Lower-triangular relative factor from its column-wise elements (lme4's order)."""
    lam = np.zeros((k, k))
    rows, cols = np.tril_indices(k)
    order = np.lexsort((rows, cols))          # column-major, as lme4 stores theta
    lam[rows[order], cols[order]] = theta
    return lam


def _diagonal_positions(model: ModelData) -> np.ndarray:
    """Indices of theta that are diagonal elements (bounded below by 0)."""
    out, start = [], 0
    for term in model.terms:
        rows, cols = np.tril_indices(term.k)
        order = np.lexsort((rows, cols))
        out += [start + i for i, (r, c) in enumerate(zip(rows[order], cols[order],
                                                         strict=True)) if r == c]
        start += term.n_theta
    return np.array(out, dtype=int)


def sufficient_stats(model: ModelData) -> _Stats:
    """Cross-products of the data with the fixed and random design (computed once).

    The response is replaced by its OLS residual ``y - X beta_ols`` (beta is shifted back in
    :func:`profile`): the penalised residual sum of squares is then a difference of numbers of
    its own size, not of ``y'y``, which keeps the deviance smooth to ~1e-15 relative (needed
    for the numerical Hessian behind Satterthwaite's df). For the same reason the design is
    replaced by ``Q`` of its thin QR decomposition ``X = Q R0`` (orthonormal columns);
    :class:`Profile` maps beta and its covariance back.
    """
    X, R0 = np.linalg.qr(model.X) if model.X.shape[1] else (model.X, np.zeros((0, 0)))
    beta_q = X.T @ model.y
    y = model.y - X @ beta_q
    st = _Stats(len(y), X.shape[1], X.T @ X, X.T @ y, float(y @ y), beta_ols=beta_q, R0=R0)
    if not model.terms:
        return st
    first, rest = model.terms[0], model.terms[1:]
    k1, n1, g = first.k, first.n_groups, first.codes
    st.k1, st.n1 = k1, n1
    st.A11 = np.empty((n1, k1, k1))
    for a in range(k1):
        for b in range(a, k1):
            st.A11[:, a, b] = st.A11[:, b, a] = np.bincount(
                g, weights=first.z[:, a] * first.z[:, b], minlength=n1)
    Xy = np.column_stack([X, y])
    st.A1Xy = np.stack([np.column_stack([np.bincount(g, first.z[:, a] * Xy[:, j], minlength=n1)
                                         for j in range(Xy.shape[1])]) for a in range(k1)],
                       axis=1)
    if rest:
        st.dense_terms = [(term.k, term.n_groups) for term in rest]
        n_dense = sum(k * n_groups for k, n_groups in st.dense_terms)
        if n_dense > MAX_DENSE_COEFS:
            raise LmmError(f"{n_dense} random coefficients outside the largest grouping factor "
                           f"({first.label}); at most {MAX_DENSE_COEFS} are supported")
        st.coupling = coupling_stats(first, rest, Xy)
    return st


def _chol_blocks(M: np.ndarray) -> np.ndarray:
    """Lower Cholesky factors of a stack of small positive definite matrices (n, k, k)."""
    k = M.shape[1]
    if k == 1:
        return np.sqrt(M)
    L = np.zeros_like(M)
    for j in range(k):
        s = M[:, j, j] - np.einsum("ij,ij->i", L[:, j, :j], L[:, j, :j])
        L[:, j, j] = np.sqrt(s)
        for i in range(j + 1, k):
            L[:, i, j] = (M[:, i, j] - np.einsum("ij,ij->i", L[:, i, :j], L[:, j, :j])) \
                / L[:, j, j]
    return L


def _solve_blocks(L: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``L_i^-1 B_i`` for lower-triangular blocks L (n, k, k) and B (n, k, m)."""
    k = L.shape[1]
    if k == 1:
        return B / L
    out = np.empty_like(B)
    for i in range(k):
        acc = B[:, i, :] - np.einsum("nj,njm->nm", L[:, i, :i], out[:, :i, :])
        out[:, i, :] = acc / L[:, i, i, None]
    return out


def profile(st: _Stats, model: ModelData, theta: np.ndarray) -> Profile:
    """Solve the penalised least-squares problem at ``theta`` (Bates et al. 2015, eq. 16-18)."""
    p = st.p
    # [X y]' V^-1 [X y] / sigma^2 up to the fixed effects: X'V^-1X, X'V^-1y and y'V^-1y at once
    G = np.block([[st.XX, st.Xy[:, None]], [st.Xy[None, :], np.array([[st.yy]])]])
    ldL2 = 0.0
    if model.terms:
        k1 = st.k1
        lam1 = _lambda(theta[:model.terms[0].n_theta], k1)
        if k1 == 1:
            M11 = lam1[0, 0] ** 2 * st.A11 + 1.0
        else:
            M11 = np.einsum("ba,ibc,cd->iad", lam1, st.A11, lam1) + np.eye(k1)
        L11 = _chol_blocks(M11)
        if not np.all(np.isfinite(L11)):
            raise LmmError("the random-effects system is not positive definite at theta = "
                           f"{theta}")
        ldL2 += 2 * np.log(np.einsum("ijj->ij", L11)).sum()
        # R_ZX1 and c_u1 side by side
        RZ1 = _solve_blocks(L11, lam1[0, 0] * st.A1Xy if k1 == 1
                            else np.einsum("ba,ibj->iaj", lam1, st.A1Xy))
        if st.coupling is not None:
            cp = st.coupling
            lambdas, start = [], model.terms[0].n_theta
            for k, _ in st.dense_terms:
                lambdas.append(_lambda(theta[start:start + k * (k + 1) // 2], k))
                start += k * (k + 1) // 2
            inv = _solve_blocks(L11, np.broadcast_to(lam1.T, (st.n1, k1, k1)).copy())
            WtW, WtR = schur_products(cp, inv, lambdas, RZ1)
            dense = _dense_lambda(lambdas, st.dense_terms)
            M22 = dense.T @ cp.A22 @ dense + np.eye(len(dense)) - WtW
            try:
                L22 = la.cholesky(M22, lower=True)
            except la.LinAlgError as err:
                raise LmmError("the random-effects system is not positive definite at "
                               f"theta = {theta}") from err
            ldL2 += 2 * np.log(np.diag(L22)).sum()
            RZ2 = la.solve_triangular(L22, dense.T @ cp.A2Xy - WtR, lower=True)
            G -= RZ2.T @ RZ2
        flat = RZ1.reshape(-1, p + 1)
        G -= flat.T @ flat
    XtVX, rhs_x, r2 = G[:p, :p], G[:p, p], G[p, p]
    if p:
        try:
            RX = la.cholesky(XtVX, lower=True)
        except la.LinAlgError as err:
            raise LmmError("X' V^-1 X is not positive definite: the fixed effects are not "
                           "estimable with these random effects") from err
        cbeta = la.solve_triangular(RX, rhs_x, lower=True)
        beta_q = la.solve_triangular(RX.T, cbeta, lower=False) + st.beta_ols
        beta = la.solve_triangular(st.R0, beta_q, lower=False)
        r2 -= cbeta @ cbeta
        ldRX2 = 2 * np.log(np.abs(np.diag(RX)) * np.abs(np.diag(st.R0))).sum()
    else:
        RX, beta, ldRX2 = np.zeros((0, 0)), np.zeros(0), 0.0
    return Profile(float(ldL2), float(ldRX2), float(r2), beta, RX, st.R0)


def _dense_lambda(lambdas: list[np.ndarray], terms: list[tuple[int, int]]) -> np.ndarray:
    """Block-diagonal relative factor of the terms after the first (``Lambda2``), dense."""
    out = np.zeros((sum(k * n for k, n in terms),) * 2)
    start = 0
    for lam, (k, n_groups) in zip(lambdas, terms, strict=True):
        for g in range(k * k):
            a, b = divmod(g, k)
            idx = start + np.arange(n_groups) * k
            out[idx + a, idx + b] = lam[a, b]
        start += k * n_groups
    return out


def fit_lmm(model: ModelData, *, reml: bool = True, start: np.ndarray | None = None) -> LmmFit:
    """Fit a linear mixed model by minimising the profiled (RE)ML deviance over theta.

    Parameters
    ----------
    model : ModelData
        From :func:`evaltools.analysis.lmm.build_model`.
    reml : bool
        REML (default, as ``lme4::lmer``) or maximum likelihood.
    start : array, optional
        Starting theta; lme4's default (1 on the diagonals, 0 elsewhere) otherwise.

    Returns
    -------
    LmmFit

    Raises
    ------
    LmmError
        Too few observations for the fixed effects, or a system that is not positive definite.

    Notes
    -----
    Profiled deviance and penalised least squares as in lme4 (Bates et al. 2015, J. Stat.
    Softw. 67(1), eq. 34 and 41), minimised with L-BFGS-B under lme4's bounds (diagonals of
    the relative factors >= 0) and polished with Newton steps on a Richardson-extrapolated
    Hessian. Checked against ``lme4::lmer`` 1.1-31 to 1e-5 (``tests/reference/lmm_r.R``).
    BLAS runs single-threaded during the fit: the matrices are small and threads only cost
    (tenfold on a busy two-core machine).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _compute_fit(model, reml, start)


def _compute_fit(model: ModelData, reml: bool, start: np.ndarray | None) -> LmmFit:
    n, p = model.n_obs, model.X.shape[1]
    if n <= p + (1 if reml else 0):
        raise LmmError(f"{n} observations for {p} fixed effects: too few to fit the model")
    st = sufficient_stats(model)
    n_theta = sum(t.n_theta for t in model.terms)
    diag = _diagonal_positions(model)
    theta0 = np.zeros(n_theta)
    theta0[diag] = 1.0
    if start is not None:
        theta0 = np.asarray(start, dtype=float)
    evaluations = [0]

    seen: dict[bytes, float] = {}

    def objective(theta: np.ndarray) -> float:
        # the optimiser and the Newton polish ask again for points they already have
        key = np.asarray(theta, dtype=float).tobytes()
        if key not in seen:
            evaluations[0] += 1
            seen[key] = profile(st, model, theta).deviance(n, reml)
        return seen[key]

    notes = list(model.notes)
    converged = True
    theta = theta0
    if n_theta:
        bounds = [(0.0, None) if i in set(diag) else (None, None) for i in range(n_theta)]
        result = optimize.minimize(objective, theta0, method="L-BFGS-B", jac="2-point",
                                   bounds=bounds, options={"ftol": 1e-12, "gtol": 1e-10,
                                                           "maxiter": 1000,
                                                           "finite_diff_rel_step": 1e-6})
        theta = np.where(np.isin(np.arange(n_theta), diag), np.abs(result.x), result.x)
        theta, converged = _polish(objective, theta, diag)
    prof = profile(st, model, theta)
    dev = prof.deviance(n, reml)
    sigma = float(np.sqrt(prof.r2 / (n - p if reml else n)))
    vcov = sigma ** 2 * prof.cov_unscaled()
    at_bound = [i for i in diag if theta[i] < SINGULAR_TOL]
    if at_bound:
        labels = _theta_labels(model)
        notes.append("boundary (singular) fit: variance estimated as 0 for "
                     + ", ".join(labels[i] for i in at_bound))
    if not converged:
        notes.append("the optimiser did not converge (scaled gradient above "
                     f"{GRADIENT_TOL} at the optimum)")
    return LmmFit(model, reml, theta, prof.beta, sigma, float(dev), vcov, converged,
                  bool(at_bound), evaluations[0], notes)


def _theta_labels(model: ModelData) -> list[str]:
    out = []
    for term in model.terms:
        rows, cols = np.tril_indices(term.k)
        order = np.lexsort((rows, cols))
        out += [f"{term.label} {term.coef_names[c]}" if r == c else
                f"{term.label} {term.coef_names[r]}~{term.coef_names[c]}"
                for r, c in zip(rows[order], cols[order], strict=True)]
    return out


def derivatives(func, x: np.ndarray, step: float = 5e-3) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian of a vector function by central differences with one Richardson
    extrapolation (steps ``h`` and ``h/2``, ``h = step * max(|x|, 0.1)``).

    ``func`` returns an array of shape (m,); the gradient has shape (m, d), the Hessian
    (m, d, d).
    """
    x = np.asarray(x, dtype=float)
    d = len(x)
    f0 = np.asarray(func(x), dtype=float)
    base = step * np.maximum(np.abs(x), 0.1)

    def at(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grad = np.empty(f0.shape + (d,))
        hess = np.empty(f0.shape + (d, d))
        plus, minus = [], []
        for i in range(d):
            e = np.zeros(d)
            e[i] = h[i]
            plus.append(np.asarray(func(x + e)))
            minus.append(np.asarray(func(x - e)))
            grad[..., i] = (plus[i] - minus[i]) / (2 * h[i])
            hess[..., i, i] = (plus[i] - 2 * f0 + minus[i]) / h[i] ** 2
        for i in range(d):
            for j in range(i + 1, d):
                ei, ej = np.zeros(d), np.zeros(d)
                ei[i], ej[j] = h[i], h[j]
                value = (np.asarray(func(x + ei + ej)) - np.asarray(func(x + ei - ej))
                         - np.asarray(func(x - ei + ej)) + np.asarray(func(x - ei - ej))) \
                    / (4 * h[i] * h[j])
                hess[..., i, j] = hess[..., j, i] = value
        return grad, hess

    g1, h1 = at(base)
    g2, h2 = at(base / 2)
    return (4 * g2 - g1) / 3, (4 * h2 - h1) / 3


def _gradient(func, x: np.ndarray, step: float = 5e-3) -> np.ndarray:
    """Gradient by central differences with one Richardson extrapolation (4 d evaluations)."""
    base = step * np.maximum(np.abs(x), 0.1)

    def central(h: np.ndarray) -> np.ndarray:
        out = np.empty(len(x))
        for i in range(len(x)):
            e = np.zeros(len(x))
            e[i] = h[i]
            out[i] = (func(x + e) - func(x - e)) / (2 * h[i])
        return out

    return (4 * central(base / 2) - central(base)) / 3


def _polish(objective, theta: np.ndarray, diag: np.ndarray) -> tuple[np.ndarray, bool]:
    """Newton steps on the parameters off the boundary, with the Hessian of the first step.

    Returns theta and whether the scaled gradient ``|H^-1 g|`` at the end is below
    :data:`GRADIENT_TOL` (lme4's convergence check).
    """
    theta = theta.copy()
    at_bound = np.zeros(len(theta), dtype=bool)
    at_bound[[i for i in diag if theta[i] < SINGULAR_TOL]] = True
    theta[at_bound] = 0.0
    free = ~at_bound
    if not free.any():
        return theta, True

    def sub(x: np.ndarray, fixed: np.ndarray = theta) -> float:
        full = fixed.copy()
        full[free] = x
        return objective(full)

    x = theta[free]
    hess = derivatives(lambda v: np.array([sub(v)]), x)[1][0]
    values = np.linalg.eigvalsh(hess)
    if values.min() <= 0:
        return theta, False
    step = np.zeros(len(x))
    for _ in range(6):
        step = la.solve(hess, _gradient(sub, x), assume_a="pos")
        trial = x - step
        if np.any(trial[np.isin(np.flatnonzero(free), diag)] < 0) or sub(trial) > sub(x):
            break
        x = trial
        if np.max(np.abs(step)) < 1e-9 * max(1.0, np.max(np.abs(x))):
            break
    theta[free] = x
    return theta, bool(np.max(np.abs(step)) < GRADIENT_TOL)
