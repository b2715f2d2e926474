/// Smooth top-k, batched over rows (MATH.md section 2). The four constructions share one contract:
/// outputs in [0, 1], summing to k, monotone in x, invariant to adding a constant to a row; k = n
/// gives all ones. Kernels compute in binary64 for both binary32 and binary64 data.
public enum TopKMethod: Int, Sendable {
    case gradient = 0, expClip = 1, sigmoid = 2, laplace = 3
}
