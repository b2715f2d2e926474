"""The Python binding rejects what C must never see: wrong dtypes (TypeError), wrong shapes,
non-contiguous or read-only arrays (ValueError), NaN parameters and integers beyond the C types
(ArgumentError: a PlumbError, PLUMB_ERR_ARGUMENT, and a ValueError), for every public function,
before any pointer is passed; invalid values C checks raise the same ArgumentError."""
import numpy as np
import pytest

import plumb

F = np.ones((4, 6), dtype=np.float32)
D = F.astype(np.float64)
POS = np.arange(4)
READ_ONLY = np.frombuffer(D.tobytes()).reshape(4, 6)

CASES = [
    ("infonce non-contiguous", lambda: plumb.infonce(D[:, ::2], POS), ValueError),
    ("infonce int scores", lambda: plumb.infonce(D.astype(np.int32), POS), TypeError),
    ("infonce NaN temperature", lambda: plumb.infonce(D, POS, float("nan")), plumb.ArgumentError),
    ("infonce float positive", lambda: plumb.infonce(D, POS.astype(float)), TypeError),
    ("infonce positive shape", lambda: plumb.infonce(D, POS[:2]), ValueError),
    ("infonce 3-D", lambda: plumb.infonce(D[None], POS), ValueError),
    ("infonce positive out of range", lambda: plumb.infonce(D, np.array([0, 1, 2, 6])), plumb.ArgumentError),
    ("flatnce temperature type", lambda: plumb.flatnce(D, POS, "a"), TypeError),
    ("infonce float32 temperature underflows", lambda: plumb.infonce(F, POS, 1e-50), plumb.ArgumentError),
    ("flatnce float32 temperature overflows", lambda: plumb.flatnce(F, POS, 1e39), plumb.ArgumentError),
    ("embeddings float32 temperature underflows",
     lambda: plumb.contrastive_embeddings(F, F, temperature=1e-60), plumb.ArgumentError),
    ("soft_topk float32 temperature overflows", lambda: plumb.soft_topk(F, 2, temperature=1e40), plumb.ArgumentError),
    ("soft_topk_vjp float32 temperature underflows",
     lambda: plumb.soft_topk_vjp(F, 2, F, temperature=1e-50), plumb.ArgumentError),
    ("spectral_decay_ float32 coefficient overflows", lambda: plumb.spectral_decay_(F.copy(), 1e39), plumb.ArgumentError),
    ("soft_topk method beyond int32", lambda: plumb.soft_topk(D, 2, method=2**32 + 1), plumb.ArgumentError),
    ("soft_topk_vjp method beyond int32", lambda: plumb.soft_topk_vjp(D, 2, D, method=2**32 + 3), plumb.ArgumentError),
    ("exact.soft_topk method beyond int32", lambda: plumb.exact.soft_topk(D, 2, method=2**40), plumb.ArgumentError),
    ("implied_diag estimator beyond int32",
     lambda: (lambda p: (p.observe(np.ones(3)), p.implied_diag(2**32 + 1)))(plumb.HessianProbe(3)), plumb.ArgumentError),
    ("infonce numeric string temperature", lambda: plumb.infonce(D, POS, "0.1"), TypeError),
    ("soft_topk bool temperature", lambda: plumb.soft_topk(D, 2, temperature=True), TypeError),
    ("spectral_norm string tol", lambda: plumb.spectral_norm(D, tol="1e-6"), TypeError),
    ("HessianProbe string beta2", lambda: plumb.HessianProbe(3, beta2="0.99"), TypeError),
    ("flatnce zero temperature", lambda: plumb.flatnce(F, POS, 0.0), plumb.ArgumentError),
    ("embeddings shapes", lambda: plumb.contrastive_embeddings(D, D[:3]), ValueError),
    ("embeddings non-contiguous", lambda: plumb.contrastive_embeddings(D[:, ::2], D[:, ::2]), ValueError),
    ("embeddings dtypes", lambda: plumb.contrastive_embeddings(D, F), TypeError),
    ("soft_topk k beyond int64", lambda: plumb.soft_topk(D, 2**70), plumb.ArgumentError),
    ("soft_topk k float", lambda: plumb.soft_topk(D, 1.5), TypeError),
    ("soft_topk k > n", lambda: plumb.soft_topk(D, 7), plumb.ArgumentError),
    ("soft_topk non-contiguous", lambda: plumb.soft_topk(D.T, 2), ValueError),
    ("soft_topk NaN temperature", lambda: plumb.soft_topk(D, 2, temperature=float("nan")), plumb.ArgumentError),
    # Yes/no parameters take bools (or 0/1), not any truthy object ("no" was taken for yes).
    ("spectral_grad string squared", lambda: plumb.spectral_grad(D, squared="no"), TypeError),
    ("spectral_norm strict None", lambda: plumb.spectral_norm(D, strict=None), TypeError),
    ("infonce grad 2", lambda: plumb.infonce(D, POS, 1.0, 2), TypeError),
    ("embeddings normalize string", lambda: plumb.contrastive_embeddings(D, D, normalize="False"), TypeError),
    ("HessianProbe full_matrix list", lambda: plumb.HessianProbe(3, full_matrix=[1]), TypeError),
    # A temperature <= 0 is refused in Python by every function (top-k used to pass it to C).
    ("soft_topk negative temperature", lambda: plumb.soft_topk(D, 2, temperature=-1.0), plumb.ArgumentError),
    ("soft_topk_vjp zero temperature", lambda: plumb.soft_topk_vjp(D, 2, D, temperature=0.0), plumb.ArgumentError),
    ("exact soft_topk negative temperature", lambda: plumb.exact.soft_topk(D, 2, temperature=-0.5), plumb.ArgumentError),
    ("exact infonce zero temperature", lambda: plumb.exact.infonce(D, POS, 0.0), plumb.ArgumentError),
    ("soft_topk method", lambda: plumb.soft_topk(D, 2, method="top"), plumb.ArgumentError),
    ("soft_topk_vjp shape", lambda: plumb.soft_topk_vjp(D, 2, D[:2]), ValueError),
    ("soft_topk_vjp dtypes", lambda: plumb.soft_topk_vjp(D, 2, F), TypeError),
    ("spectral_norm non-contiguous", lambda: plumb.spectral_norm(D[:, ::2]), ValueError),
    ("spectral_norm v shape", lambda: plumb.spectral_norm(D, v=np.zeros(5)), ValueError),
    ("spectral_norm v dtype", lambda: plumb.spectral_norm(D, v=np.zeros(6, np.float32)), TypeError),
    ("spectral_norm max_iters beyond int32", lambda: plumb.spectral_norm(D, max_iters=2**40), plumb.ArgumentError),
    ("spectral_norm NaN tol", lambda: plumb.spectral_norm(D, tol=float("nan")), plumb.ArgumentError),
    ("spectral_norm v2 dtype", lambda: plumb.spectral_norm(D, v2=np.zeros(6, np.float32)), TypeError),
    ("spectral_norm v2 shape", lambda: plumb.spectral_norm(D, v2=np.zeros(5)), ValueError),
    ("spectral_grad v2 list", lambda: plumb.spectral_grad(D, v2=[0.0] * 6), TypeError),
    ("spectral_grad int", lambda: plumb.spectral_grad(D.astype(int)), TypeError),
    ("spectral_decay_ read-only", lambda: plumb.spectral_decay_(READ_ONLY, 0.1), ValueError),
    ("spectral_decay_ non-contiguous", lambda: plumb.spectral_decay_(D[:, ::2], 0.1), ValueError),
    ("spectral_decay_ NaN coefficient", lambda: plumb.spectral_decay_(D.copy(), float("nan")), plumb.ArgumentError),
    ("HessianProbe dim beyond int64", lambda: plumb.HessianProbe(2**70), plumb.ArgumentError),
    ("HessianProbe beta1 = 1", lambda: plumb.HessianProbe(3, beta1=1.0), plumb.ArgumentError),
    ("HessianProbe full matrix too large", lambda: plumb.HessianProbe(5000, full_matrix=True), plumb.ArgumentError),
    ("observe shape", lambda: plumb.HessianProbe(3).observe(np.ones(4)), ValueError),
    ("observe int", lambda: plumb.HessianProbe(3).observe(np.ones(3, dtype=int)), TypeError),
    ("observe after close", lambda: (lambda p: (p.close(), p.observe(np.ones(3))))(plumb.HessianProbe(3)), plumb.ArgumentError),
    ("implied_diag NaN lr", lambda: plumb.HessianProbe(3).implied_diag("adam", float("nan")), plumb.ArgumentError),
    ("implied_diag unknown estimator", lambda: plumb.HessianProbe(3).implied_diag("sgd"), plumb.ArgumentError),
    ("compare reference shape", lambda: plumb.HessianProbe(3).compare(np.ones(2)), ValueError),
    ("hutchinson samples 0", lambda: plumb.hutchinson_diag(lambda v: v, 3, samples=0), plumb.ArgumentError),
    ("hutchinson samples beyond int32", lambda: plumb.hutchinson_diag(lambda v: v, 3, samples=2**40), plumb.ArgumentError),
    ("hutchinson hvp shape", lambda: plumb.hutchinson_diag(lambda v: v[:2], 3, samples=2), ValueError),
    ("hutchinson hvp raises", lambda: plumb.hutchinson_diag(lambda v: 1 / 0, 3, samples=2), ZeroDivisionError),
    ("hutchinson negative seed", lambda: plumb.hutchinson_diag(lambda v: v, 3, seed=-1), plumb.ArgumentError),
    ("compare shapes", lambda: plumb.compare(F.ravel(), D.ravel()[:3]), ValueError),
    ("compare dtype", lambda: plumb.compare(F.ravel().astype(np.int8), D.ravel()), TypeError),
    ("exact.logsumexp int", lambda: plumb.exact.logsumexp(np.ones(3, dtype=int)), TypeError),
    ("exact.infonce float32", lambda: plumb.exact.infonce(F, POS), TypeError),
    ("exact.soft_topk k = 0", lambda: plumb.exact.soft_topk(D, 0), plumb.ArgumentError),
    ("exact.spectral_norm 1-D", lambda: plumb.exact.spectral_norm(np.ones(3)), ValueError),
    ("exact.least_squares_hessian 1-D", lambda: plumb.exact.least_squares_hessian(np.ones(3)), ValueError),
    ("precision cap too small", lambda: plumb.set_exact_precision_cap(10), plumb.ArgumentError),
    ("spectral_norm max_iters 0", lambda: plumb.spectral_norm(D, max_iters=0), plumb.ArgumentError),
    ("spectral_grad negative tol", lambda: plumb.spectral_grad(F, tol=-1e-6), plumb.ArgumentError),
    ("SpectralState NaN tol", lambda: plumb.SpectralState(tol=float("nan")).grad(F), plumb.ArgumentError),
    ("infonce inf temperature", lambda: plumb.infonce(F, POS, float("inf")), plumb.ArgumentError),
    ("embeddings unknown loss", lambda: plumb.contrastive_embeddings(D, D, loss="nce"), plumb.ArgumentError),
    ("soft_topk k = 0", lambda: plumb.soft_topk(F, 0), plumb.ArgumentError),
    ("output cache negative bound", lambda: plumb.set_output_cache(-1), plumb.ArgumentError),
    ("embeddings loss list", lambda: plumb.contrastive_embeddings(D, D, loss=["infonce"]), TypeError),
    # spectral_norm's argument order (w, v) given to spectral_grad (w, squared, v): the message
    # names the array by its shape, not by its values.
    ("spectral_grad v for squared", lambda: plumb.spectral_grad(D, np.zeros(6)), TypeError),
    ("threads not an int", lambda: plumb.set_num_threads(1.5), TypeError),
]


@pytest.mark.parametrize("name,call,error", CASES, ids=[c[0] for c in CASES])
def test_bad_arguments_raise(name, call, error):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) and len(str(info.value)) < 300, str(info.value)
    if error is plumb.ArgumentError:  # the C status, and a ValueError for code that catches those
        assert isinstance(info.value, plumb.PlumbError) and isinstance(info.value, ValueError)
        assert info.value.name == "PLUMB_ERR_ARGUMENT" and info.value.status == 1 and info.value.message


@pytest.mark.parametrize("call", [
    lambda: plumb.hutchinson_diag(lambda v: v * np.nan, 4),
    lambda: plumb.spectral_grad(np.zeros((3, 3))),
    lambda: plumb.HessianProbe(3).observe(np.array([1.0, np.nan, 2.0])),
    lambda: plumb.HessianProbe(3).compare(np.array([1.0, np.nan, 2.0])),
])
def test_domain_errors_without_rows_name_none(call):
    # Data that has no rows (a vector, a whole matrix, a callback's output) is not blamed on "row 0".
    with pytest.raises(plumb.PlumbError) as info:
        call()
    assert info.value.name == "PLUMB_ERR_DOMAIN"
    assert "row 0" not in str(info.value), str(info.value)
