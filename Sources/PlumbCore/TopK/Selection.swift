#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
/// Partial selection: after `selectLargest(w, k)` the k largest values of `w` are in `w[0 ..< k]`
/// (in no particular order) and every value of `w[k...]` is <= each of them. Introselect-like
/// quickselect with median-of-three pivots; expected O(n).
func selectLargest(_ w: UnsafeMutableBufferPointer<Double>, _ k: Int) {
    var lo = 0, hi = w.count - 1
    if k <= 0 || k >= w.count { return }
    let target = k - 1  // the k-th largest lands at index k - 1
    while hi > lo {
        let mid = lo + (hi - lo) / 2
        // median of three, ordered descending
        if w[mid] > w[lo] { w.swapAt(mid, lo) }
        if w[hi] > w[lo] { w.swapAt(hi, lo) }
        if w[hi] > w[mid] { w.swapAt(hi, mid) }
        let pivot = w[mid]
        var i = lo, j = hi
        while i <= j {
            while w[i] > pivot { i += 1 }
            while w[j] < pivot { j -= 1 }
            if i <= j { w.swapAt(i, j); i += 1; j -= 1 }
        }
        if target <= j { hi = j } else if target >= i { lo = i } else { return }
    }
}
