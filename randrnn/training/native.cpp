// The recurrence of packed graph-RNNs, forward and backward, as plain loops over units and edges.
//
// Compiled on first use by randrnn/training/native.py (g++ -O3 -march=native) and called through
// ctypes with raw pointers into contiguous torch tensors; see that module for the layout. Per
// model, per time step, per unit in topological order, the gate pre-activations are the unit's
// table entry (layer-0 units: embedding @ W0 + bias of the step's code; other units: the bias)
// plus one AXPY over the batch per incoming edge and gate: the model is exactly the graph, one
// weight per edge and gate, and every loop is over the batch, which is contiguous. The backward
// pass visits steps and units in reverse, so every state gradient is complete when it is read.

#include <cmath>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace {

enum Cell { RNN_TANH = 0, RNN_RELU = 1, LSTM = 2, GRU = 3 };

#define INLINE inline __attribute__((always_inline))  // inlined, the loops vectorize
#define NOINLINE __attribute__((noinline))

// tanh for float: a rational function (odd degree 13 over even degree 6, Eigen's fast tanh)
// on the input clamped to ±7.9, where float tanh is ±1: one division, no branch, no exp, so the
// loops over the batch vectorize and the cell's chain stays short. Absolute error below 3e-7
// over all floats (tests/training/test_native_kernel.py measures it against tanh in double).
INLINE float tanh_(float x) {
    const float c = 7.90531110763549805f;
    x = x < -c ? -c : (x > c ? c : x);  // not fmin/fmax: they block vectorizing
    const float z = x * x;
    float p = -2.76076847742355e-16f;
    p = p * z + 2.00018790482477e-13f;
    p = p * z - 8.60467152213735e-11f;
    p = p * z + 5.12229709037114e-08f;
    p = p * z + 1.48572235717979e-05f;
    p = p * z + 6.37261928875436e-04f;
    p = p * z + 4.89352455891786e-03f;
    float q = 1.19825839466702e-06f;
    q = q * z + 1.18534705686654e-04f;
    q = q * z + 2.26843463243900e-03f;
    q = q * z + 4.89352518554385e-03f;
    return x * p / q;
}

// sigmoid for float: σ(x) = (1 + tanh(x/2)) / 2, the same rational function (error below 2e-7).
INLINE float sigmoid(float x) { return 0.5f + 0.5f * tanh_(0.5f * x); }

// double (gradcheck's precision): the library's own functions, exact to rounding.
INLINE double tanh_(double x) { return std::tanh(x); }
INLINE double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Elementwise work of one unit over the batch. Separate functions, so that restrict holds and
// every loop vectorizes (in the middle of the loops below, GCC gives up on the alias checks).
#define R __restrict__

template <typename T>
NOINLINE void rnn_forward(int cell, const T* R a0, T* R a, T* R h, int64_t B) {
    if (cell == RNN_TANH)
        for (int64_t b = 0; b < B; ++b) a[b] = h[b] = tanh_(a0[b]);
    else
        for (int64_t b = 0; b < B; ++b) a[b] = h[b] = a0[b] > T(0) ? a0[b] : T(0);
}

template <typename T>
NOINLINE void lstm_forward(const T* R a0, const T* R a1, const T* R a2, const T* R a3,
                           const T* R cp, T* R ig, T* R fg, T* R gg, T* R og, T* R c, T* R h,
                           int64_t B) {
    for (int64_t b = 0; b < B; ++b) {
        const T iv = sigmoid(a0[b]), fv = sigmoid(a1[b]), gv = tanh_(a2[b]);
        const T ov = sigmoid(a3[b]), cv = fv * cp[b] + iv * gv;
        ig[b] = iv;
        fg[b] = fv;
        gg[b] = gv;
        og[b] = ov;
        c[b] = cv;
        h[b] = ov * tanh_(cv);
    }
}

template <typename T>
NOINLINE void gru_forward(const T* R a0, const T* R a1, const T* R a2, const T* R an,
                          const T* R hp, T* R rg, T* R zg, T* R ng, T* R x, T* R h, int64_t B) {
    for (int64_t b = 0; b < B; ++b) {
        const T rv = sigmoid(a0[b]), zv = sigmoid(a1[b]);
        const T nv = tanh_(a2[b] + rv * an[b]);
        rg[b] = rv;
        zg[b] = zv;
        ng[b] = nv;
        x[b] = an[b];
        h[b] = nv + zv * (hp[b] - nv);
    }
}

template <typename T>
NOINLINE void rnn_backward(int cell, const T* R a, const T* R dh, T* R d0, int64_t B) {
    if (cell == RNN_TANH)
        for (int64_t b = 0; b < B; ++b) d0[b] = dh[b] * (T(1) - a[b] * a[b]);
    else
        for (int64_t b = 0; b < B; ++b) d0[b] = a[b] > T(0) ? dh[b] : T(0);
}

// dcn: in, the cell gradient from step t + 1; out, the one for step t − 1.
template <typename T>
NOINLINE void lstm_backward(const T* R ig, const T* R fg, const T* R gg, const T* R og,
                            const T* R c, const T* R cp, const T* R dh, T* R dcn, T* R d0,
                            T* R d1, T* R d2, T* R d3, int64_t B) {
    for (int64_t b = 0; b < B; ++b) {
        const T tc = tanh_(c[b]);
        const T dc = dcn[b] + dh[b] * og[b] * (T(1) - tc * tc);
        d0[b] = dc * gg[b] * ig[b] * (T(1) - ig[b]);
        d1[b] = dc * cp[b] * fg[b] * (T(1) - fg[b]);
        d2[b] = dc * ig[b] * (T(1) - gg[b] * gg[b]);
        d3[b] = dh[b] * tc * og[b] * (T(1) - og[b]);
        dcn[b] = dc * fg[b];
    }
}

// Batch blocks as GCC/Clang vector types (AVX: 8 floats; narrower machines split them).
template <typename T> struct Vec {
    typedef T type __attribute__((vector_size(32)));
    static constexpr int64_t lanes = 32 / sizeof(T);
};

template <typename V, typename T> INLINE V load(const T* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <typename V, typename T> INLINE void store(T* p, V v) { std::memcpy(p, &v, sizeof v); }

// All live edges of one unit, forward, GATES gates: acc[k][b] += w[q·GATES + k] · src_q[b], with
// src_q = base0 + off[q] for the n0 edges from the same step, base1 + off[q] for the n1 after them
// (the previous step). The batch goes in blocks of two vectors held in registers across all
// edges, so each block of the accumulators is loaded and stored once per unit, not once per edge.
template <typename T, int GATES>
NOINLINE void edges_forward(int64_t n0, int64_t n1, const T* base0, const T* base1,
                            const int64_t* off, const T* wv, T* const* acc, int64_t B) {
    using V = typename Vec<T>::type;
    constexpr int64_t L = Vec<T>::lanes;
    const int64_t ne = n0 + n1;
    int64_t b0 = 0;
    for (; b0 + 2 * L <= B; b0 += 2 * L) {
        V a[GATES][2];
        for (int k = 0; k < GATES; ++k) {
            a[k][0] = load<V>(acc[k] + b0);
            a[k][1] = load<V>(acc[k] + b0 + L);
        }
        for (int part = 0; part < 2; ++part) {
            const T* base = (part ? base1 : base0) + b0;
            for (int64_t q = part ? n0 : 0; q < (part ? ne : n0); ++q) {
                const V x0 = load<V>(base + off[q]), x1 = load<V>(base + off[q] + L);
                for (int k = 0; k < GATES; ++k) {
                    const T wk = wv[q * GATES + k];
                    a[k][0] += wk * x0;
                    a[k][1] += wk * x1;
                }
            }
        }
        for (int k = 0; k < GATES; ++k) {
            store(acc[k] + b0, a[k][0]);
            store(acc[k] + b0 + L, a[k][1]);
        }
    }
    for (int64_t q = 0; q < ne; ++q) {  // the rest of the batch
        const T* src = (q < n0 ? base0 : base1) + off[q];
        for (int k = 0; k < GATES; ++k)
            for (int64_t b = b0; b < B; ++b) acc[k][b] += wv[q * GATES + k] * src[b];
    }
}

// All live edges of one unit, backward, GATES gates, at one step: the gradient that flows back
// to each edge's source state, dst_q[b] += Σ_k w[q·GATES + k] · d[k][b], and the edge's weight
// gradients of this step, gw[q·GATES + k] += Σ_b d[k][b] · src_q[b] (dst_q = dbase0 + off[q],
// src_q = hbase0 + off[q] for the first n0 edges; dbase1, hbase1 for the n1 after them). One
// pass per edge over the batch: the source state is read once for both, and the gate
// gradients, a few vectors, stay in L1 (before, the weight gradients were a second pass over
// every step that re-read per-step gate gradients written only for it).
template <typename T, int GATES>
NOINLINE void edges_backward(int64_t n0, int64_t n1, T* dbase0, T* dbase1, const T* hbase0,
                             const T* hbase1, const int64_t* off, const T* wv,
                             const T* const* d, T* gw, int64_t B) {
    using V = typename Vec<T>::type;
    constexpr int64_t L = Vec<T>::lanes;
    const T* dk[GATES];
    for (int k = 0; k < GATES; ++k) dk[k] = d[k];
    const int64_t ne = n0 + n1;
    for (int64_t q = 0; q < ne; ++q) {
        T* dst = (q < n0 ? dbase0 : dbase1) + off[q];
        const T* src = (q < n0 ? hbase0 : hbase1) + off[q];
        T wk[GATES];
        V acc[GATES][2];
        for (int k = 0; k < GATES; ++k) {
            wk[k] = wv[q * GATES + k];
            acc[k][0] = acc[k][1] = V{};
        }
        int64_t b = 0;
        for (; b + 2 * L <= B; b += 2 * L) {
            V x0 = load<V>(dst + b), x1 = load<V>(dst + b + L);
            const V h0 = load<V>(src + b), h1 = load<V>(src + b + L);
            for (int k = 0; k < GATES; ++k) {
                const V g0 = load<V>(dk[k] + b), g1 = load<V>(dk[k] + b + L);
                x0 += wk[k] * g0;
                x1 += wk[k] * g1;
                acc[k][0] += g0 * h0;
                acc[k][1] += g1 * h1;
            }
            store(dst + b, x0);
            store(dst + b + L, x1);
        }
        T rest[GATES];
        for (int k = 0; k < GATES; ++k) rest[k] = T(0);
        for (; b < B; ++b)  // the rest of the batch
            for (int k = 0; k < GATES; ++k) {
                dst[b] += wk[k] * dk[k][b];
                rest[k] += dk[k][b] * src[b];
            }
        for (int k = 0; k < GATES; ++k) {
            const V v = acc[k][0] + acc[k][1];
            T sum = rest[k];
            for (int64_t l = 0; l < L; ++l) sum += v[l];
            gw[q * GATES + k] += sum;
        }
    }
}

// dan: gradient of the new gate's recurrent part; dhp (may alias nothing else): own unit, t − 1.
template <typename T>
NOINLINE void gru_backward(const T* R rg, const T* R zg, const T* R ng, const T* R x,
                           const T* R hp, const T* R dh, T* R dhp, T* R d0, T* R d1, T* R d2,
                           T* R dan, T* R sums, int64_t B) {
    T sr = 0, sz = 0, sn = 0;
    for (int64_t b = 0; b < B; ++b) {
        const T dn = dh[b] * (T(1) - zg[b]) * (T(1) - ng[b] * ng[b]);
        const T dr = dn * x[b] * rg[b] * (T(1) - rg[b]);
        const T dz = dh[b] * (hp[b] - ng[b]) * zg[b] * (T(1) - zg[b]);
        const T da = dn * rg[b];
        d0[b] = dr;
        d1[b] = dz;
        d2[b] = dn;
        dan[b] = da;
        dhp[b] += dh[b] * zg[b];
        sr += dr;
        sz += dz;
        sn += da;
    }
    sums[0] += sr;
    sums[1] += sz;
    sums[2] += sn;
}

// Per step t and string b, the table row of its code: codes (B, T) → rows (T, B) = code · K,
// read contiguously by the gather of layer-0 units (forward) and the scatter of their gradient.
inline std::vector<int32_t> code_rows(const int64_t* codes, int64_t b, int64_t t, int64_t k) {
    std::vector<int32_t> rows(t * b);
    for (int64_t i = 0; i < b; ++i)
        for (int64_t j = 0; j < t; ++j) rows[j * b + i] = static_cast<int32_t>(codes[i * t + j] * k);
    return rows;
}

// The strings of each step grouped by code, for the table's gradient (layer-0 units): a sum
// per code, then one add into the table, instead of an add into the table per string (a chain
// of dependent read-modify-writes where strings share a code, as most do).
struct Codes {
    struct Run {
        int64_t row, start, end;  // table row (code · K); perm[start … end) of the step
    };
    std::vector<int32_t> perm;  // (T, B): per step, the strings computed, sorted by code
    std::vector<Run> runs;
    std::vector<int64_t> first;  // (T + 1): runs of step t are first[t] … first[t + 1] − 1

    Codes(const std::vector<int32_t>& rows, const int64_t* width, int64_t b, int64_t t)
        : perm(t * b), first(t + 1, 0) {
        std::vector<int32_t> order(b);
        for (int64_t j = 0; j < t; ++j) {
            const int64_t bt = width ? width[j] : b;
            const int32_t* row = rows.data() + j * b;
            for (int64_t i = 0; i < bt; ++i) order[i] = static_cast<int32_t>(i);
            std::stable_sort(order.begin(), order.begin() + bt,
                             [row](int32_t x, int32_t y) { return row[x] < row[y]; });
            for (int64_t i = 0; i < bt; ++i) {
                perm[j * b + i] = order[i];
                if (i == 0 || row[order[i]] != row[order[i - 1]])
                    runs.push_back({row[order[i]], i, i + 1});
                else
                    runs.back().end = i + 1;
            }
            first[j + 1] = static_cast<int64_t>(runs.size());
        }
    }
};

// Asks for `bytes` from p into the cache ahead of use (the backward's stored states of a unit
// come from memory: prefetched two units ahead, their reads no longer stall the sweep).
INLINE void prefetch(const void* p, int64_t bytes) {
    for (int64_t o = 0; o < bytes; o += 64) __builtin_prefetch(static_cast<const char*>(p) + o);
}

// Whether an edge runs as one pass over all its gates (the weights of pruned gates are zero, so
// they add nothing) or one pass per live gate: a pass per gate reads the source state again
// each time, so it pays only when at most half the gates are left (measured: at 30-50 % pruned
// a pass per live gate cost LSTM copies 1.3x the whole edge).
INLINE bool whole(int32_t live, int64_t gates) {
    return __builtin_popcount(static_cast<uint32_t>(live)) * 2 >= gates;
}

struct Shape {
    int64_t g, n, b, t, cell, gates;
    int64_t kept;  // steps of act/extra stored: t (for backward), or 2 (a ring: forward only)
    int64_t reads;  // backward: entries of h per model that the gradient is given for (0: all)
    // (T,) strings to compute at each step, or null (all B): with the batch sorted by length,
    // longest first, the strings past their end are left alone (their outputs are never read
    // and their gradients are zero); a multiple of the vector width, so loops stay blocked
    const int64_t* width;
    int64_t slot(int64_t step) const { return kept == t ? step : step % 2; }
};

// Edge lists of one pack: per model, per unit i, edges [ptr[i], ptr[i + 1]) into src (source
// unit), toff (0: same step, from an earlier layer; 1: previous step, the unit's own layer),
// woff (offset of the gate-0 weight in W, or in W_hh for GRU recurrence; gate k is k·N further)
// and live (bit k set: gate k's weight exists; pruning removes single gates' weights).
struct Edges {
    const int32_t* ptr;  // (G, N + 1), offsets into the edge arrays
    const int32_t* src;
    const int32_t* toff;
    const int64_t* woff;
    const int32_t* live;
    const int32_t* units;  // (G,) real units of each model
    const int32_t* first;  // (G,) layer-0 units of each model (they read the table by code)
};

// One model's live edges, gathered once per call (not once per step), per unit i, target set
// (0: the gate pre-activations; 1: GRU's recurrence) and list k (G: edges taken whole, with G
// weights each; k < G: edges of which only gate k goes this way, one weight each). Entries of a
// list: first those reading the same step (toff 0), then those reading the previous one; off is
// the source unit times B.
template <typename T>
struct Lists {
    struct Span {
        int64_t start, wstart, n0, n1;
    };
    std::vector<Span> spans;  // (units, 2, G + 1)
    std::vector<int64_t> off;
    std::vector<T> weights;
    std::vector<int64_t> gpos;  // per weight: its offset in w (or w_hh, where gapart is set)
    std::vector<uint8_t> gapart;
    int64_t g1 = 0;

    const Span& at(int64_t i, int set, int64_t k) const { return spans[(i * 2 + set) * g1 + k]; }

    Lists(const Shape& s, const Edges& e, int64_t m, const T* w, const T* w_hh) {
        const int64_t N = s.n, G = s.gates;
        const bool gru = s.cell == GRU;
        const int32_t* ptr = e.ptr + m * (N + 1);
        g1 = G + 1;
        spans.resize(e.units[m] * 2 * g1);
        for (int64_t i = 0; i < e.units[m]; ++i)
            for (int set = 0; set < 2; ++set)
                for (int64_t k = 0; k <= G; ++k) {
                    Span span{static_cast<int64_t>(off.size()),
                              static_cast<int64_t>(weights.size()), 0, 0};
                    for (int32_t toff = 0; toff < 2; ++toff)
                        for (int32_t q = ptr[i]; q < ptr[i + 1]; ++q) {
                            if (e.toff[q] != toff || (gru && toff) != (set == 1)) continue;
                            const bool all = whole(e.live[q], G);
                            if (k == G ? !all : (all || !((e.live[q] >> k) & 1))) continue;
                            const T* wq = (set ? w_hh : w) + e.woff[q];
                            off.push_back(static_cast<int64_t>(e.src[q]) * s.b);
                            for (int64_t j = k == G ? 0 : k; j < (k == G ? G : k + 1); ++j) {
                                weights.push_back(wq[j * N]);
                                gpos.push_back(e.woff[q] + j * N);
                                gapart.push_back(set);
                            }
                            ++(toff ? span.n1 : span.n0);
                        }
                    spans[(i * 2 + set) * g1 + k] = span;
                }
    }
};

template <typename T>
void forward_model(const Shape& s, const Edges& e, int64_t m, const T* table, const int32_t* rows,
                   const T* w, const T* w_hh, const T* b_hh, T* h, T* act, T* extra) {
    const int64_t N = s.n, B = s.b, K = s.gates * N, G = s.gates;
    const bool gru = s.cell == GRU, lstm = s.cell == LSTM;
    const T* tab = table + m * 128 * K;
    const T* bh = gru ? b_hh + m * K : nullptr;
    std::vector<T> buf(6 * B, T(0));
    T* acc[4] = {buf.data(), buf.data() + B, buf.data() + 2 * B, buf.data() + 3 * B};
    T* an = buf.data() + 4 * B;  // GRU: recurrent part of the new gate
    const T* zero = buf.data() + 5 * B;  // the initial state
    const Lists<T> lists(s, e, m, w, w_hh);
    for (int64_t t = 0; t < s.t; ++t) {
        const int64_t Bt = s.width ? s.width[t] : B;  // strings still running at step t
        T* ht = h + t * N * B;
        T* at = act + s.slot(t) * G * N * B;
        T* xt = extra ? extra + s.slot(t) * N * B : nullptr;
        const T* xp = extra && t > 0 ? extra + s.slot(t - 1) * N * B : nullptr;  // step t − 1
        for (int64_t i = 0; i < e.units[m]; ++i) {
            if (i < e.first[m]) {
                const int32_t* row = rows + t * B;  // the step's codes times K
                for (int64_t k = 0; k < G; ++k)
                    for (int64_t b = 0; b < Bt; ++b) acc[k][b] = tab[row[b] + k * N + i];
            } else {
                for (int64_t k = 0; k < G; ++k) {
                    const T v = tab[k * N + i];
                    for (int64_t b = 0; b < Bt; ++b) acc[k][b] = v;
                }
            }
            if (gru) {
                const T br = bh[i], bz = bh[N + i], bn = bh[2 * N + i];
                for (int64_t b = 0; b < Bt; ++b) {
                    acc[0][b] += br;
                    acc[1][b] += bz;
                    an[b] = bn;
                }
            }
            // One blocked pass per list of the unit's live edges: GRU recurrence feeds `an`
            // instead of the new gate. Nothing reads step −1: the initial state is zero.
            T* const targets[2][4] = {{acc[0], acc[1], acc[2], acc[3]}, {acc[0], acc[1], an, an}};
            const T* now = ht;
            const T* before = ht - N * B;
            for (int set = 0; set < (gru ? 2 : 1); ++set)
                for (int64_t k = G; k >= 0; --k) {
                    const auto& list = lists.at(i, set, k);
                    const int64_t n1 = t > 0 ? list.n1 : 0;
                    if (list.n0 + n1 == 0) continue;
                    const int64_t* off = lists.off.data() + list.start;
                    const T* wv = lists.weights.data() + list.wstart;
                    if (k < G)
                        edges_forward<T, 1>(list.n0, n1, now, before, off, wv, &targets[set][k],
                                            Bt);
                    else if (G == 1)
                        edges_forward<T, 1>(list.n0, n1, now, before, off, wv, targets[set], Bt);
                    else if (G == 3)
                        edges_forward<T, 3>(list.n0, n1, now, before, off, wv, targets[set], Bt);
                    else
                        edges_forward<T, 4>(list.n0, n1, now, before, off, wv, targets[set], Bt);
                }
            T* hi = ht + i * B;
            T* ai = at + i * B;  // gate k of unit i: ai + k·N·B
            const int64_t nb = N * B;
            if (s.cell == RNN_TANH || s.cell == RNN_RELU) {
                rnn_forward<T>(s.cell, acc[0], ai, hi, Bt);
            } else if (lstm) {
                const T* cp = xp ? xp + i * B : zero;
                lstm_forward<T>(acc[0], acc[1], acc[2], acc[3], cp, ai, ai + nb, ai + 2 * nb,
                                ai + 3 * nb, xt + i * B, hi, Bt);
            } else {
                const T* hp = t > 0 ? ht - nb + i * B : zero;
                gru_forward<T>(acc[0], acc[1], acc[2], an, hp, ai, ai + nb, ai + 2 * nb,
                               xt + i * B, hi, Bt);
            }
        }
        std::fill(ht + e.units[m] * B, ht + N * B, T(0));  // padding units: always zero
    }
}

// Model m's backward sweep, steps and units in reverse. The state gradient lives in a ring of
// two steps (dh of step t and of t − 1: nothing reaches further back); the readout's gradient
// enters at its step (the model's s.reads values `grad` at flat offsets `index` − `base` into
// its h, or with `index` null the model's whole (T, N, B) `grad`). Weight gradients add up per edge during the sweep (`gw`, in the
// order of the lists) and go to g_w / g_w_hh at the end.
template <typename T>
void backward_model(const Shape& s, const Edges& e, int64_t m, const Codes& codes, const T* w,
                    const T* w_hh, const T* h, const T* act, const T* extra,
                    const int64_t* index, int64_t base, const T* grad, T* g_table, T* g_w,
                    T* g_w_hh, T* g_b_hh) {
    const int64_t N = s.n, B = s.b, K = s.gates * N, G = s.gates, nb = N * B;
    const bool gru = s.cell == GRU, lstm = s.cell == LSTM;
    const int64_t S = gru ? G + 1 : G;  // gate gradients per unit: GRU adds `dan`
    T* gtab = g_table + m * 128 * K;
    T* gbh = gru ? g_b_hh + m * K : nullptr;
    std::vector<T> ring(2 * nb, T(0));  // dh of steps t and t − 1
    std::vector<T> buf(B, T(0));
    const T* zero = buf.data();
    std::vector<T> sink(B);  // GRU: the own-unit gradient of step −1, dropped
    std::vector<T> dc_next(lstm ? nb : 0, T(0));  // LSTM: cell gradient from step t + 1
    std::vector<T> dgate(S * B);  // the gate gradients of the unit at hand
    const Lists<T> lists(s, e, m, w, w_hh);
    std::vector<T> gw(lists.weights.size(), T(0));
    // the readout's gradient by step: (position in the step's (N, B), value)
    std::vector<int64_t> start(s.t + 1, 0);
    std::vector<std::pair<int64_t, T>> entries(s.reads);
    if (index) {
        const int64_t* idx = index;
        for (int64_t j = 0; j < s.reads; ++j) ++start[(idx[j] - base) / nb + 1];
        for (int64_t t = 0; t < s.t; ++t) start[t + 1] += start[t];
        std::vector<int64_t> fill(start.begin(), start.end() - 1);
        for (int64_t j = 0; j < s.reads; ++j) {
            const int64_t o = idx[j] - base;
            entries[fill[o / nb]++] = {o % nb, grad[j]};
        }
    }
    for (int64_t t = s.t - 1; t >= 0; --t) {
        const int64_t Bt = s.width ? s.width[t] : B;  // strings still running at step t
        T* dht = ring.data() + (t % 2) * nb;
        T* before = ring.data() + ((t + 1) % 2) * nb;  // step t − 1
        std::fill(before, before + nb, T(0));
        if (index) {
            for (int64_t j = start[t]; j < start[t + 1]; ++j) dht[entries[j].first] += entries[j].second;
        } else {
            const T* gt = grad + t * nb;
            for (int64_t j = 0; j < nb; ++j) dht[j] += gt[j];
        }
        const T* at = act + t * G * nb;
        const T* ht = h + t * nb;
        const T* xt = extra ? extra + t * nb : nullptr;
        for (int64_t i = e.units[m] - 1; i >= 0; --i) {
            if (i >= 2) {  // what unit i − 2 reads: its gates, extra and previous state
                const int64_t j = (i - 2) * B, bytes = Bt * sizeof(T);
                for (int64_t k = 0; k < G; ++k) prefetch(at + k * nb + j, bytes);
                if (xt) prefetch(xt + j, bytes);
                if (t > 0 && G > 1) prefetch((lstm ? xt : ht) - nb + j, bytes);
            }
            const T* dh = dht + i * B;
            const T* ai = at + i * B;  // gate k of unit i: ai + k·N·B
            T* d[4];  // the gate gradients of unit i (GRU: d[3] is `dan`); unused ones repeat
            for (int64_t k = 0; k < 4; ++k) d[k] = dgate.data() + std::min(k, S - 1) * B;
            if (s.cell == RNN_TANH || s.cell == RNN_RELU) {
                rnn_backward<T>(s.cell, ai, dh, d[0], Bt);
            } else if (lstm) {
                const T* cp = t > 0 ? xt - nb + i * B : zero;
                lstm_backward<T>(ai, ai + nb, ai + 2 * nb, ai + 3 * nb, xt + i * B, cp, dh,
                                 dc_next.data() + i * B, d[0], d[1], d[2], d[3], Bt);
            } else {
                const T* hp = t > 0 ? ht - nb + i * B : zero;
                T* dhp = t > 0 ? before + i * B : sink.data();  // nothing before step 0
                T sums[3] = {0, 0, 0};
                gru_backward<T>(ai, ai + nb, ai + 2 * nb, xt + i * B, hp, dh, dhp, d[0], d[1],
                                d[2], d[3], sums, Bt);  // d[3]: `dan`
                gbh[i] += sums[0];
                gbh[N + i] += sums[1];
                gbh[2 * N + i] += sums[2];
            }
            if (i < e.first[m]) {  // per code of the step: the sum over its strings
                const int32_t* perm = codes.perm.data() + t * B;
                for (int64_t k = 0; k < G; ++k) {
                    T* col = gtab + k * N + i;
                    const T* dk = d[k];
                    for (int64_t j = codes.first[t]; j < codes.first[t + 1]; ++j) {
                        const auto& run = codes.runs[j];
                        T s0 = 0, s1 = 0;  // two sums: half the chain of dependent adds
                        int64_t r = run.start;
                        for (; r + 1 < run.end; r += 2) {
                            s0 += dk[perm[r]];
                            s1 += dk[perm[r + 1]];
                        }
                        if (r < run.end) s0 += dk[perm[r]];
                        col[run.row] += s0 + s1;
                    }
                }
            } else {
                for (int64_t k = 0; k < G; ++k) {
                    T sum = 0;
                    for (int64_t b = 0; b < Bt; ++b) sum += d[k][b];
                    gtab[k * N + i] += sum;
                }
            }
            // each live edge: the gradient to its source state and its weights' gradient
            const T* const grads[2][4] = {{d[0], d[1], d[2], d[3]}, {d[0], d[1], d[3], d[3]}};
            for (int set = 0; set < (gru ? 2 : 1); ++set)
                for (int64_t k = G; k >= 0; --k) {
                    const auto& list = lists.at(i, set, k);
                    const int64_t n1 = t > 0 ? list.n1 : 0;
                    if (list.n0 + n1 == 0) continue;
                    const int64_t* off = lists.off.data() + list.start;
                    const T* wv = lists.weights.data() + list.wstart;
                    T* g = gw.data() + list.wstart;
                    const T* hb = ht - nb;  // read only where t > 0
                    if (k < G)
                        edges_backward<T, 1>(list.n0, n1, dht, before, ht, hb, off, wv,
                                             &grads[set][k], g, Bt);
                    else if (G == 1)
                        edges_backward<T, 1>(list.n0, n1, dht, before, ht, hb, off, wv,
                                             grads[set], g, Bt);
                    else if (G == 3)
                        edges_backward<T, 3>(list.n0, n1, dht, before, ht, hb, off, wv,
                                             grads[set], g, Bt);
                    else
                        edges_backward<T, 4>(list.n0, n1, dht, before, ht, hb, off, wv,
                                             grads[set], g, Bt);
                }
        }
    }
    for (size_t j = 0; j < gw.size(); ++j) (lists.gapart[j] ? g_w_hh : g_w)[lists.gpos[j]] += gw[j];
}

template <typename T>
void forward_all(const int64_t* shape, const int64_t* width, const int32_t* ptr,
                 const int32_t* src, const int32_t* toff, const int64_t* woff,
                 const int32_t* live, const int32_t* units, const int32_t* first, const T* table,
                 const int64_t* codes, const T* w, const T* w_hh, const T* b_hh, T* h, T* act,
                 T* extra) {
    const Shape s{shape[0], shape[1], shape[2], shape[3], shape[4], shape[5], shape[6], 0, width};
    const Edges e{ptr, src, toff, woff, live, units, first};
    const int64_t per = s.t * s.n * s.b, kept = s.kept * s.n * s.b;
    const std::vector<int32_t> rows = code_rows(codes, s.b, s.t, s.gates * s.n);
    for (int64_t m = 0; m < s.g; ++m)
        forward_model(s, e, m, table, rows.data(), w, w_hh, b_hh, h + m * per,
                      act + m * kept * s.gates, extra ? extra + m * kept : nullptr);
}

template <typename T>
void backward_all(const int64_t* shape, const int64_t* width, const int32_t* ptr,
                  const int32_t* src, const int32_t* toff, const int64_t* woff, const int32_t* live,
                  const int32_t* units, const int32_t* first, const int64_t* codes, const T* w,
                  const T* w_hh, const T* h, const T* act, const T* extra, const int64_t* index,
                  const T* grad, T* g_table, T* g_w, T* g_w_hh, T* g_b_hh) {
    const Shape s{shape[0], shape[1], shape[2], shape[3], shape[4],
                  shape[5], shape[6], shape[7], width};
    const Edges e{ptr, src, toff, woff, live, units, first};
    const int64_t per = s.t * s.n * s.b;  // backward needs every step kept (kept == t)
    const Codes grouped(code_rows(codes, s.b, s.t, s.gates * s.n), width, s.b, s.t);
    // last model first: the forward wrote it last, so its stored states are still in cache
    for (int64_t m = s.g - 1; m >= 0; --m)
        backward_model(s, e, m, grouped, w, w_hh, h + m * per, act + m * per * s.gates,
                       extra ? extra + m * per : nullptr, index ? index + m * s.reads : nullptr,
                       m * per, grad + m * (index ? s.reads : per), g_table, g_w, g_w_hh,
                       g_b_hh);
}

// A training step's recurrence, readout, loss and gradients, model by model: each model's
// forward, then at once its backward, into one model's h/act/extra reused by all (they stay in
// cache: with every model's states kept, the backward read them back from memory). Readout:
// logits[b] = b_out + Σ_r h[read[b, r]] · w_out[r] (read: offsets into the model's h), loss the
// mean cross-entropy over the batch; the gradients are those of each model's own loss.
template <typename T>
void train_all(const int64_t* shape, const int64_t* width, const int32_t* ptr, const int32_t* src,
               const int32_t* toff, const int64_t* woff, const int32_t* live,
               const int32_t* units, const int32_t* first, const T* table, const int64_t* codes,
               const T* w, const T* w_hh, const T* b_hh, const int64_t* read, const T* w_out,
               const T* b_out, const int64_t* labels, T* losses, T* logits, T* g_table, T* g_w,
               T* g_w_hh, T* g_b_hh, T* g_w_out, T* g_b_out) {
    const Shape s{shape[0], shape[1], shape[2], shape[3], shape[4],
                  shape[5], shape[3], shape[7], width};  // kept: every step
    const Edges e{ptr, src, toff, woff, live, units, first};
    const int64_t per = s.t * s.n * s.b, B = s.b, nr = s.reads / B;
    const std::vector<int32_t> rows = code_rows(codes, s.b, s.t, s.gates * s.n);
    const Codes grouped(rows, width, s.b, s.t);
    // one model's states, left uninitialised: the forward writes all that is read
    std::unique_ptr<T[]> h(new T[per]), act(new T[per * s.gates]);
    std::unique_ptr<T[]> extra(s.gates > 1 ? new T[per] : nullptr);
    std::vector<T> grad(s.reads);
    T* ex = extra.get();
    for (int64_t m = 0; m < s.g; ++m) {
        forward_model(s, e, m, table, rows.data(), w, w_hh, b_hh, h.get(), act.get(), ex);
        const int64_t* rd = read + m * s.reads;
        const T* wo = w_out + m * nr * 2;
        T* lg = logits + m * B * 2;
        T* gwo = g_w_out + m * nr * 2;
        double loss = 0;
        for (int64_t b = 0; b < B; ++b) {
            T z0 = b_out[m * 2], z1 = b_out[m * 2 + 1];
            for (int64_t r = 0; r < nr; ++r) {
                const T f = h[rd[b * nr + r]];
                z0 += f * wo[r * 2];
                z1 += f * wo[r * 2 + 1];
            }
            lg[b * 2] = z0;
            lg[b * 2 + 1] = z1;
            const T top = std::max(z0, z1);
            const T e0 = std::exp(z0 - top), e1 = std::exp(z1 - top);
            const T lse = top + std::log(e0 + e1);
            loss += lse - (labels[b] ? z1 : z0);
            const T d0 = (e0 / (e0 + e1) - (labels[b] ? T(0) : T(1))) / T(B);
            const T d1 = (e1 / (e0 + e1) - (labels[b] ? T(1) : T(0))) / T(B);
            g_b_out[m * 2] += d0;
            g_b_out[m * 2 + 1] += d1;
            for (int64_t r = 0; r < nr; ++r) {
                const T f = h[rd[b * nr + r]];
                gwo[r * 2] += f * d0;
                gwo[r * 2 + 1] += f * d1;
                grad[b * nr + r] = d0 * wo[r * 2] + d1 * wo[r * 2 + 1];
            }
        }
        losses[m] = static_cast<T>(loss / B);
        backward_model(s, e, m, grouped, w, w_hh, h.get(), act.get(), ex, rd, 0, grad.data(),
                       g_table, g_w, g_w_hh, g_b_hh);
    }
}

}  // namespace

// shape = (G, N, B, T, cell, gates, kept[, reads]), width (T,) or null (see Shape). Edges: ptr
// (G, N + 1), src, toff, woff, live (E,).
// Tensors: table (G, 128, K), codes (B, T), w (G, P, K), w_hh (G, N, K) and b_hh (G, K) for GRU
// (else unused), h (G, T, N, B), act (G, kept, gates, N, B), extra (G, kept, N, B): LSTM cell
// state, GRU recurrent part of the new gate, unused for RNN. Backward: the gradient of h, as
// index (G, reads) flat offsets into h with grad (G, reads) their gradients (an offset may
// repeat: they add up), or index null and grad (G, T, N, B); the gradients g_* (zeroed by the
// caller) are added to.
#define RANDRNN_EXPORT(T, SUFFIX)                                                                \
    extern "C" void randrnn_forward_##SUFFIX(                                                   \
        const int64_t* shape, const int64_t* width, const int32_t* ptr, const int32_t* src,     \
        const int32_t* toff, const int64_t* woff, const int32_t* live, const int32_t* units,    \
        const int32_t* first,                                                                   \
        const T* table, const int64_t* codes, const T* w, const T* w_hh, const T* b_hh, T* h,   \
        T* act, T* extra) {                                                                     \
        forward_all<T>(shape, width, ptr, src, toff, woff, live, units, first, table, codes, w, \
                       w_hh, b_hh, h, act, extra);                                              \
    }                                                                                           \
    extern "C" void randrnn_backward_##SUFFIX(                                                  \
        const int64_t* shape, const int64_t* width, const int32_t* ptr, const int32_t* src,     \
        const int32_t* toff, const int64_t* woff, const int32_t* live, const int32_t* units,    \
        const int32_t* first,                                                                   \
        const int64_t* codes, const T* w, const T* w_hh, const T* h, const T* act,              \
        const T* extra, const int64_t* index, const T* grad, T* g_table, T* g_w, T* g_w_hh,    \
        T* g_b_hh) {                                                                            \
        backward_all<T>(shape, width, ptr, src, toff, woff, live, units, first, codes, w, w_hh, \
                        h, act, extra, index, grad, g_table, g_w, g_w_hh, g_b_hh);              \
    }

// The training step (`train_all`): read (G, B, R) offsets into one model's h (T, N, B) of the
// readout units at each string's last step, w_out (G, R, 2), b_out (G, 2), labels (B,); out:
// losses (G,), logits (G, B, 2), and the gradients (zeroed by the caller) added to.
#define RANDRNN_EXPORT_TRAIN(T, SUFFIX)                                                         \
    extern "C" void randrnn_train_##SUFFIX(                                                     \
        const int64_t* shape, const int64_t* width, const int32_t* ptr, const int32_t* src,     \
        const int32_t* toff, const int64_t* woff, const int32_t* live, const int32_t* units,    \
        const int32_t* first, const T* table, const int64_t* codes, const T* w, const T* w_hh,  \
        const T* b_hh, const int64_t* read, const T* w_out, const T* b_out,                     \
        const int64_t* labels, T* losses, T* logits, T* g_table, T* g_w, T* g_w_hh,             \
        T* g_b_hh, T* g_w_out, T* g_b_out) {                                                    \
        train_all<T>(shape, width, ptr, src, toff, woff, live, units, first, table, codes, w,   \
                     w_hh, b_hh, read, w_out, b_out, labels, losses, logits, g_table, g_w,      \
                     g_w_hh, g_b_hh, g_w_out, g_b_out);                                         \
    }

RANDRNN_EXPORT(float, f32)
RANDRNN_EXPORT(double, f64)
RANDRNN_EXPORT_TRAIN(float, f32)
RANDRNN_EXPORT_TRAIN(double, f64)
