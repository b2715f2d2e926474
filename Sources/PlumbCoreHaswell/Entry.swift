import PlumbCore

/// The entry points of a dispatched build of PlumbCore's hot kernels: the sources are PlumbCore's,
/// linked into this module, and so is this file (PlumbCoreHaswell for AVX2 and FMA, PlumbCoreAVX512
/// for AVX-512 besides). The ABI installs one build after the CPU check for its target
/// (`plumbcpu_has_haswell`, `plumbcpu_has_avx512`); each kernel keeps its baseline counterpart's
/// contract and bits, except where a comment says otherwise.
public enum DispatchedKernels {
    /// Makes PlumbCore call this build's kernels. Call once, before the first call of any of them
    /// (the ABI does it under `swift_once`).
    public static func install() {
        // Swift never fuses a multiply and an add unless asked, and the contrastive kernel asks only
        // in its exp2 polynomial (`productPlus`): a result may differ from the baseline build's in
        // the last bit, both within the kernel's bound (the dispatched builds agree bit for bit).
        ContrastiveKernels.rowsF32 = {
            ContrastiveRowF32.runRows($0, $1, cols: $2, positive: $3, rows: $4, tau: $5, scratch: $6, loss: $7,
                                      grad: $8, streaming: $9)
        }
        SpectralKernels.passF32 = { gramPassBody($0, rows: $1, cols: $2, x: $3, y: $4, wx: $5, scratch: $6) }
        SpectralKernels.passF64 = { gramPassBody($0, rows: $1, cols: $2, x: $3, y: $4, wx: $5, scratch: $6) }
        SpectralKernels.pairF32 = { gramPassPairBody($0, rows: $1, cols: $2, x: $3, y: $4, scratch: $5) }
        SpectralKernels.pairF64 = { gramPassPairBody($0, rows: $1, cols: $2, x: $3, y: $4, scratch: $5) }
        SpectralKernels.pairSingle = { gramPassPairSingleBody($0, rows: $1, cols: $2, x: $3, y: $4, scratch: $5) }
        SpectralKernels.rowProductsF32 = { rowProductsPairBody($0, rows: $1, cols: $2, x: $3, y: $4) }
        SpectralKernels.rowProductsF64 = { rowProductsPairBody($0, rows: $1, cols: $2, x: $3, y: $4) }
        SpectralKernels.columnProductsF32 = { columnProductsPairBody($0, rows: $1, cols: $2, x: $3, y: $4) }
        SpectralKernels.columnProductsF64 = { columnProductsPairBody($0, rows: $1, cols: $2, x: $3, y: $4) }
        SpectralKernels.reorthogonalisation = {
            reorthogonaliseBody($0, count: $1, against: $2, basis: $3, cols: $4, coefficients: $5)
        }
        // Top-k: every method. The gradient method's programme gains from AVX2 (~15%); the threshold
        // methods form each weight with a fused multiply-add (the remainder of (x_i - x_ref) / tau),
        // a libm call in the baseline build (x86-64 has no FMA) and one instruction here.
        TopKKernels.f32 = {
            softTopKBody($0, x: $1, rows: $2, n: $3, k: $4, temperature: $5, gradOut: $6, out: $7)
        }
        TopKKernels.f64 = {
            softTopKBody($0, x: $1, rows: $2, n: $3, k: $4, temperature: $5, gradOut: $6, out: $7)
        }
    }
}
