/// The two contrastive losses of one row (MATH.md section 1).
///
/// A row holds scores `s_0..s_{K-1}` (K = cols >= 2), a positive index `t` and a temperature
/// `tau > 0`. With `d_i = (s_i - s_t) / tau` and `xi = sum_{i != t} exp(d_i)`:
/// - InfoNCE: `L = log(1 + xi)`, `dL/ds_i = exp(d_i) / ((1 + xi) tau)` (i != t),
///   `dL/ds_t = -xi / ((1 + xi) tau)`, computed directly (never as `p_t - 1`).
/// - FlatNCE: `L = log(xi)`, `dL/ds_i = exp(d_i) / (xi tau)` (i != t), `dL/ds_t = -1 / tau`.
///
/// Masked negatives (`s_i = -inf`) contribute 0 to `xi` and get gradient 0. When every negative is
/// masked (`xi = 0`): InfoNCE gives loss 0 and an all-zero gradient; FlatNCE gives loss `-inf`,
/// gradient 0 for the negatives and `-1/tau` for the positive (the derivative of `log xi` with
/// respect to `s_t` is `-1/tau` for every `xi > 0`; the kernel keeps that limit).
public enum ContrastiveLoss: Sendable {
    case infoNCE
    case flatNCE
}

/// The evaluation every kernel uses, stated once (see `ContrastiveRowF64` for the error analysis).
///
/// Let `r` be a reference column and `m = (s_r - s_t) / tau`, `u_i = exp((s_i - s_r) / tau)`,
/// `S = sum_{i != t} u_i`, so `xi = S exp(m)`.
/// - InfoNCE: `r = t` when no negative exceeds `s_t` (`m = 0`, `u_i <= 1`): `L = log1p(S)`;
///   otherwise `r` = the largest negative (`m > 0`, `w = exp(-m)`): `L = m + log(w + S)` (two
///   non-negative terms). `dL/ds_i = u_i / ((w + S) tau)`, `dL/ds_t = -S / ((w + S) tau)` (w = 1
///   when r = t).
/// - FlatNCE: `r` = the largest negative always (`S >= 1` with one term exactly 1, so `S` cannot
///   underflow however far the positive leads): `L = log1p(S - 1) + m`, `S - 1` summed from the
///   other terms; `dL/ds_i = u_i / (S tau)`, `dL/ds_t = -1/tau`.
/// No `exp` ever overflows and no subtraction of nearly equal values happens, except FlatNCE's
/// final `+ m` when `L` is near 0 (a cancellation inherent in `log xi`; the float32 kernel redoes
/// the sum with libm there).
enum ContrastiveForm {}
