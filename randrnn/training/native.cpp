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
#include <vector>

namespace {

enum Cell { RNN_TANH = 0, RNN_RELU = 1, LSTM = 2, GRU = 3 };

#define INLINE inline __attribute__((always_inline))  // inlined, the loops vectorize
#define NOINLINE __attribute__((noinline))

// exp for float that the compiler vectorizes (Cephes' polynomial after range reduction; ~2 ulp).
INLINE float exp_approx(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);  // not fmin/fmax: they block vectorizing
    float n = std::floor(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

INLINE double exp_approx(double x) { return std::exp(x); }

template <typename T> INLINE T sigmoid(T x) { return T(1) / (T(1) + exp_approx(-x)); }

// tanh for float: an odd polynomial near 0 (Cephes' tanhf: relative accuracy where the result
// is small), 1 − 2/(e^{2|x|} + 1) with the sign further out. Both computed, one chosen: the
// loop stays branch-free and vectorizes.
INLINE float tanh_approx(float x) {
    const float ax = x < 0.0f ? -x : x;
    const float z = x * x;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    const float near = x + x * z * p;
    const float far = 1.0f - 2.0f / (exp_approx(2.0f * ax) + 1.0f);
    return ax < 0.625f ? near : (x < 0.0f ? -far : far);
}

INLINE double tanh_exact(double x) { return std::tanh(x); }
INLINE float tanh_exact(float x) { return tanh_approx(x); }

// Elementwise work of one unit over the batch. Separate functions, so that restrict holds and
// every loop vectorizes (in the middle of the loops below, GCC gives up on the alias checks).
#define R __restrict__

template <typename T>
NOINLINE void rnn_forward(int cell, const T* R a0, T* R a, T* R h, int64_t B) {
    if (cell == RNN_TANH)
        for (int64_t b = 0; b < B; ++b) a[b] = h[b] = tanh_exact(a0[b]);
    else
        for (int64_t b = 0; b < B; ++b) a[b] = h[b] = a0[b] > T(0) ? a0[b] : T(0);
}

template <typename T>
NOINLINE void lstm_forward(const T* R a0, const T* R a1, const T* R a2, const T* R a3,
                           const T* R cp, T* R ig, T* R fg, T* R gg, T* R og, T* R c, T* R h,
                           int64_t B) {
    for (int64_t b = 0; b < B; ++b) {
        const T iv = sigmoid(a0[b]), fv = sigmoid(a1[b]), gv = tanh_exact(a2[b]);
        const T ov = sigmoid(a3[b]), cv = fv * cp[b] + iv * gv;
        ig[b] = iv;
        fg[b] = fv;
        gg[b] = gv;
        og[b] = ov;
        c[b] = cv;
        h[b] = ov * tanh_exact(cv);
    }
}

template <typename T>
NOINLINE void gru_forward(const T* R a0, const T* R a1, const T* R a2, const T* R an,
                          const T* R hp, T* R rg, T* R zg, T* R ng, T* R x, T* R h, int64_t B) {
    for (int64_t b = 0; b < B; ++b) {
        const T rv = sigmoid(a0[b]), zv = sigmoid(a1[b]);
        const T nv = tanh_exact(a2[b] + rv * an[b]);
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
        const T tc = tanh_exact(c[b]);
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

// All live edges of one unit, forward, GATES gates: acc[k][b] += w[q·GATES + k] · src[q][b].
// The batch goes in blocks of two vectors held in registers across all edges, so each block of
// the accumulators is loaded and stored once per unit, not once per edge.
template <typename T, int GATES>
NOINLINE void edges_forward(int64_t ne, const T* const* src, const T* wv, T* const* acc,
                            int64_t B) {
    using V = typename Vec<T>::type;
    constexpr int64_t L = Vec<T>::lanes;
    int64_t b0 = 0;
    for (; b0 + 2 * L <= B; b0 += 2 * L) {
        V a[GATES][2];
        for (int k = 0; k < GATES; ++k) {
            a[k][0] = load<V>(acc[k] + b0);
            a[k][1] = load<V>(acc[k] + b0 + L);
        }
        for (int64_t q = 0; q < ne; ++q) {
            const V x0 = load<V>(src[q] + b0), x1 = load<V>(src[q] + b0 + L);
            for (int k = 0; k < GATES; ++k) {
                const T wk = wv[q * GATES + k];
                a[k][0] += wk * x0;
                a[k][1] += wk * x1;
            }
        }
        for (int k = 0; k < GATES; ++k) {
            store(acc[k] + b0, a[k][0]);
            store(acc[k] + b0 + L, a[k][1]);
        }
    }
    for (int64_t q = 0; q < ne; ++q)  // the rest of the batch
        for (int k = 0; k < GATES; ++k)
            for (int64_t b = b0; b < B; ++b) acc[k][b] += wv[q * GATES + k] * src[q][b];
}

// One edge, backward: weight gradients (batch sums) and the source unit's output gradient.
template <typename T>
NOINLINE void edge_backward(int gates, const T* w, T* gw, int64_t n, const T* R hs, T* R ds,
                            const T* R d0, const T* R d1, const T* R d2, const T* R d3,
                            int64_t B) {
    const T w0 = w[0];
    if (gates == 1) {
        T s0 = 0;
        for (int64_t b = 0; b < B; ++b) {
            s0 += d0[b] * hs[b];
            ds[b] += w0 * d0[b];
        }
        gw[0] += s0;
        return;
    }
    const T w1 = w[n], w2 = w[2 * n];
    if (gates == 3) {
        T s0 = 0, s1 = 0, s2 = 0;
        for (int64_t b = 0; b < B; ++b) {
            s0 += d0[b] * hs[b];
            s1 += d1[b] * hs[b];
            s2 += d2[b] * hs[b];
            ds[b] += w0 * d0[b] + w1 * d1[b] + w2 * d2[b];
        }
        gw[0] += s0;
        gw[n] += s1;
        gw[2 * n] += s2;
        return;
    }
    const T w3 = w[3 * n];
    T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int64_t b = 0; b < B; ++b) {
        s0 += d0[b] * hs[b];
        s1 += d1[b] * hs[b];
        s2 += d2[b] * hs[b];
        s3 += d3[b] * hs[b];
        ds[b] += w0 * d0[b] + w1 * d1[b] + w2 * d2[b] + w3 * d3[b];
    }
    gw[0] += s0;
    gw[n] += s1;
    gw[2 * n] += s2;
    gw[3 * n] += s3;
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

template <typename T>
void forward_model(const Shape& s, const Edges& e, int64_t m, const T* table, const int64_t* codes,
                   const T* w, const T* w_hh, const T* b_hh, T* h, T* act, T* extra) {
    const int64_t N = s.n, B = s.b, K = s.gates * N, G = s.gates;
    const bool gru = s.cell == GRU, lstm = s.cell == LSTM;
    const T* tab = table + m * 128 * K;
    const T* bh = gru ? b_hh + m * K : nullptr;
    const int32_t* ptr = e.ptr + m * (N + 1);
    std::vector<T> buf(6 * B, T(0));
    T* acc[4] = {buf.data(), buf.data() + B, buf.data() + 2 * B, buf.data() + 3 * B};
    T* an = buf.data() + 4 * B;  // GRU: recurrent part of the new gate
    const T* zero = buf.data() + 5 * B;  // the initial state
    int64_t most = 1;  // the most edges of any unit: the size of the per-unit lists
    for (int64_t i = 0; i < e.units[m]; ++i) most = std::max<int64_t>(most, ptr[i + 1] - ptr[i]);
    // A unit's live edges, per target set: all gates (one pass, GATES weights per edge) or, for
    // edges with some gates pruned, one list per live gate (one pass each, one weight per edge).
    // List 0 feeds the gate pre-activations, list 1 GRU's recurrence (the new gate's part is `an`).
    std::vector<const T*> srcs(2 * (G + 1) * most);
    std::vector<T> wts(2 * (G + 1) * most * G);
    auto src_list = [&](int set, int64_t k) { return srcs.data() + (set * (G + 1) + k) * most; };
    auto w_list = [&](int set, int64_t k) { return wts.data() + (set * (G + 1) + k) * most * G; };
    for (int64_t t = 0; t < s.t; ++t) {
        const int64_t Bt = s.width ? s.width[t] : B;  // strings still running at step t
        T* ht = h + t * N * B;
        T* at = act + s.slot(t) * G * N * B;
        T* xt = extra ? extra + s.slot(t) * N * B : nullptr;
        const T* xp = extra && t > 0 ? extra + s.slot(t - 1) * N * B : nullptr;  // step t − 1
        for (int64_t i = 0; i < e.units[m]; ++i) {
            if (i < e.first[m]) {
                for (int64_t k = 0; k < G; ++k)
                    for (int64_t b = 0; b < Bt; ++b)
                        acc[k][b] = tab[codes[b * s.t + t] * K + k * N + i];
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
            // Gather the unit's live edges (source rows and weights), then one blocked pass
            // per list: GRU recurrence feeds `an` instead of the new gate.
            int64_t count[2][5] = {{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}};  // [set][G: all gates, k]
            for (int32_t q = ptr[i]; q < ptr[i + 1]; ++q) {
                const int64_t tt = t - e.toff[q];
                if (tt < 0) continue;  // the initial state is zero
                const int set = gru && e.toff[q] ? 1 : 0;
                const T* wq = (set ? w_hh : w) + e.woff[q];
                const T* row = h + (tt * N + e.src[q]) * B;
                const int32_t live = e.live[q];
                if (whole(live, G)) {
                    const int64_t slot = count[set][G]++;
                    src_list(set, G)[slot] = row;
                    T* wv = w_list(set, G) + slot * G;
                    for (int64_t k = 0; k < G; ++k) wv[k] = wq[k * N];
                } else {
                    for (int64_t k = 0; k < G; ++k) {
                        if (!((live >> k) & 1)) continue;
                        const int64_t slot = count[set][k]++;
                        src_list(set, k)[slot] = row;
                        w_list(set, k)[slot] = wq[k * N];
                    }
                }
            }
            T* const targets[2][4] = {{acc[0], acc[1], acc[2], acc[3]}, {acc[0], acc[1], an, an}};
            for (int set = 0; set < (gru ? 2 : 1); ++set) {
                const int64_t n_all = count[set][G];
                if (G == 1)
                    edges_forward<T, 1>(n_all, src_list(set, G), w_list(set, G), targets[set], Bt);
                else if (G == 3)
                    edges_forward<T, 3>(n_all, src_list(set, G), w_list(set, G), targets[set], Bt);
                else
                    edges_forward<T, 4>(n_all, src_list(set, G), w_list(set, G), targets[set], Bt);
                for (int64_t k = 0; k < G; ++k)
                    if (count[set][k])
                        edges_forward<T, 1>(count[set][k], src_list(set, k), w_list(set, k),
                                            &targets[set][k], Bt);
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

template <typename T>
void backward_model(const Shape& s, const Edges& e, int64_t m, const int64_t* codes, const T* w,
                    const T* w_hh, const T* h, const T* act, const T* extra, T* dh_all,
                    T* g_table, T* g_w, T* g_w_hh, T* g_b_hh) {
    const int64_t N = s.n, B = s.b, K = s.gates * N, G = s.gates;
    const bool gru = s.cell == GRU, lstm = s.cell == LSTM;
    T* gtab = g_table + m * 128 * K;
    T* gbh = gru ? g_b_hh + m * K : nullptr;
    const int32_t* ptr = e.ptr + m * (N + 1);
    std::vector<T> buf(6 * B, T(0));
    T* d[4] = {buf.data(), buf.data() + B, buf.data() + 2 * B, buf.data() + 3 * B};
    T* dan = buf.data() + 4 * B;
    const T* zero = buf.data() + 5 * B;
    std::vector<T> sink(B);  // GRU: the own-unit gradient of step −1, dropped
    std::vector<T> dc_next(lstm ? N * B : 0, T(0));  // LSTM: cell gradient from step t + 1
    for (int64_t t = s.t - 1; t >= 0; --t) {
        const int64_t Bt = s.width ? s.width[t] : B;  // strings still running at step t
        T* dht = dh_all + t * N * B;
        const T* at = act + t * G * N * B;
        const T* ht = h + t * N * B;
        const T* xt = extra ? extra + t * N * B : nullptr;
        for (int64_t i = e.units[m] - 1; i >= 0; --i) {
            const T* dh = dht + i * B;
            const T* ai = at + i * B;  // gate k of unit i: ai + k·N·B
            const int64_t nb = N * B;
            if (s.cell == RNN_TANH || s.cell == RNN_RELU) {
                rnn_backward<T>(s.cell, ai, dh, d[0], Bt);
            } else if (lstm) {
                const T* cp = t > 0 ? xt - nb + i * B : zero;
                lstm_backward<T>(ai, ai + nb, ai + 2 * nb, ai + 3 * nb, xt + i * B, cp, dh,
                                 dc_next.data() + i * B, d[0], d[1], d[2], d[3], Bt);
            } else {
                const T* hp = t > 0 ? ht - nb + i * B : zero;
                T* dhp = t > 0 ? dht - nb + i * B : sink.data();  // nothing before step 0
                T sums[3] = {0, 0, 0};
                gru_backward<T>(ai, ai + nb, ai + 2 * nb, xt + i * B, hp, dh, dhp, d[0], d[1],
                                d[2], dan, sums, Bt);
                gbh[i] += sums[0];
                gbh[N + i] += sums[1];
                gbh[2 * N + i] += sums[2];
            }
            if (i < e.first[m]) {
                for (int64_t k = 0; k < G; ++k)
                    for (int64_t b = 0; b < Bt; ++b)
                        gtab[codes[b * s.t + t] * K + k * N + i] += d[k][b];
            } else {
                for (int64_t k = 0; k < G; ++k) {
                    T sum = 0;
                    for (int64_t b = 0; b < Bt; ++b) sum += d[k][b];
                    gtab[k * N + i] += sum;
                }
            }
            for (int32_t q = ptr[i]; q < ptr[i + 1]; ++q) {
                const int64_t tt = t - e.toff[q];
                if (tt < 0) continue;
                const T* hs = h + (tt * N + e.src[q]) * B;
                T* ds = dh_all + (tt * N + e.src[q]) * B;
                const bool apart = gru && e.toff[q];
                const T* wq = (apart ? w_hh : w) + e.woff[q];
                T* gq = (apart ? g_w_hh : g_w) + e.woff[q];
                T* const dk[4] = {d[0], d[1], apart ? dan : d[2], d[3]};
                const int32_t live = e.live[q];
                if (whole(live, G)) {
                    edge_backward<T>(G, wq, gq, N, hs, ds, dk[0], dk[1], dk[2], dk[3], Bt);
                    continue;
                }
                for (int64_t k = 0; k < G; ++k)  // pruned gates: no work, no gradient
                    if ((live >> k) & 1)
                        edge_backward<T>(1, wq + k * N, gq + k * N, N, hs, ds, dk[k], nullptr,
                                         nullptr, nullptr, Bt);
            }
        }
    }
}

template <typename T>
void forward_all(const int64_t* shape, const int64_t* width, const int32_t* ptr,
                 const int32_t* src, const int32_t* toff, const int64_t* woff,
                 const int32_t* live, const int32_t* units, const int32_t* first, const T* table,
                 const int64_t* codes, const T* w, const T* w_hh, const T* b_hh, T* h, T* act,
                 T* extra) {
    const Shape s{shape[0], shape[1], shape[2], shape[3], shape[4], shape[5], shape[6], width};
    const Edges e{ptr, src, toff, woff, live, units, first};
    const int64_t per = s.t * s.n * s.b, kept = s.kept * s.n * s.b;
    for (int64_t m = 0; m < s.g; ++m)
        forward_model(s, e, m, table, codes, w, w_hh, b_hh, h + m * per, act + m * kept * s.gates,
                      extra ? extra + m * kept : nullptr);
}

template <typename T>
void backward_all(const int64_t* shape, const int64_t* width, const int32_t* ptr,
                  const int32_t* src, const int32_t* toff, const int64_t* woff, const int32_t* live,
                  const int32_t* units, const int32_t* first, const int64_t* codes, const T* w,
                  const T* w_hh, const T* h, const T* act, const T* extra, T* dh, T* g_table,
                  T* g_w, T* g_w_hh, T* g_b_hh) {
    const Shape s{shape[0], shape[1], shape[2], shape[3], shape[4], shape[5], shape[6], width};
    const Edges e{ptr, src, toff, woff, live, units, first};
    const int64_t per = s.t * s.n * s.b;  // backward needs every step kept (kept == t)
    for (int64_t m = 0; m < s.g; ++m)
        backward_model(s, e, m, codes, w, w_hh, h + m * per, act + m * per * s.gates,
                       extra ? extra + m * per : nullptr, dh + m * per, g_table, g_w, g_w_hh,
                       g_b_hh);
}

}  // namespace

// shape = (G, N, B, T, cell, gates, kept), width (T,) or null (see Shape). Edges: ptr
// (G, N + 1), src, toff, woff, live (E,).
// Tensors: table (G, 128, K), codes (B, T), w (G, P, K), w_hh (G, N, K) and b_hh (G, K) for GRU
// (else unused), h (G, T, N, B), act (G, kept, gates, N, B), extra (G, kept, N, B): LSTM cell
// state, GRU recurrent part of the new gate, unused for RNN.
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
        const T* extra, T* dh, T* g_table, T* g_w, T* g_w_hh, T* g_b_hh) {                      \
        backward_all<T>(shape, width, ptr, src, toff, woff, live, units, first, codes, w, w_hh, \
                        h, act, extra, dh, g_table, g_w, g_w_hh, g_b_hh);                       \
    }

RANDRNN_EXPORT(float, f32)
RANDRNN_EXPORT(double, f64)
