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
/// Let `r` be the reference column: `t` when no negative exceeds `s_t`, else the largest negative.
/// With `m = (s_r - s_t) / tau >= 0`, `u_i = exp((s_i - s_r) / tau) <= 1`, `S = sum_{i != t} u_i`
/// and `w = exp(-m)` (so `xi = S / w`):
/// - InfoNCE: `L = log1p(S)` when `r = t`, else `L = m + log(w + S)` (two non-negative terms);
///   `dL/ds_i = u_i / ((w + S) tau)`, `dL/ds_t = -S / ((w + S) tau)`.
/// - FlatNCE: `L = log(S)` (`log1p(S - 1)` near S = 1) when `r = t`, else `L = m + log(S)`;
///   `dL/ds_i = u_i / (S tau)`, `dL/ds_t = -1/tau`.
/// No `exp` ever overflows and no subtraction of nearly equal values happens, at any gap.
enum ContrastiveForm {}
