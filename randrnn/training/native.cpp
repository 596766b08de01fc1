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
#include <cstring>
#include <vector>

namespace {

enum Cell { RNN_TANH = 0, RNN_RELU = 1, LSTM = 2, GRU = 3 };

// exp for float that the compiler vectorizes (Cephes' polynomial after range reduction; ~2 ulp).
inline float exp_approx(float x) {
    x = std::fmin(std::fmax(x, -87.0f), 88.0f);
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

inline double exp_approx(double x) { return std::exp(x); }

template <typename T> inline T sigmoid(T x) { return T(1) / (T(1) + exp_approx(-x)); }

template <typename T> inline T tanh_approx(T x) {
    return T(1) - T(2) / (exp_approx(T(2) * x) + T(1));
}

inline double tanh_exact(double x) { return std::tanh(x); }
inline float tanh_exact(float x) { return tanh_approx(x); }

struct Shape {
    int64_t g, n, p, b, t, cell, gates;
};

// Edge lists of one pack: per model, per unit i, edges [ptr[i], ptr[i + 1]) into src (source
// unit), toff (0: same step, from an earlier layer; 1: previous step, the unit's own layer) and
// woff (offset of the gate-0 weight in W, or in W_hh for GRU recurrence; gate k is k·N further).
struct Edges {
    const int32_t* ptr;  // (G, N + 1), offsets into the edge arrays
    const int32_t* src;
    const int32_t* toff;
    const int64_t* woff;
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
    std::vector<T> buf(4 * B + B);
    T* acc[4] = {buf.data(), buf.data() + B, buf.data() + 2 * B, buf.data() + 3 * B};
    T* an = buf.data() + 4 * B;  // GRU: recurrent part of the new gate
    for (int64_t t = 0; t < s.t; ++t) {
        T* ht = h + t * N * B;
        T* at = act + t * G * N * B;
        T* xt = extra ? extra + t * N * B : nullptr;
        for (int64_t i = 0; i < e.units[m]; ++i) {
            if (i < e.first[m]) {
                for (int64_t k = 0; k < G; ++k)
                    for (int64_t b = 0; b < B; ++b)
                        acc[k][b] = tab[codes[b * s.t + t] * K + k * N + i];
            } else {
                for (int64_t k = 0; k < G; ++k) {
                    const T v = tab[k * N + i];
                    for (int64_t b = 0; b < B; ++b) acc[k][b] = v;
                }
            }
            if (gru) {
                const T br = bh[i], bz = bh[N + i], bn = bh[2 * N + i];
                for (int64_t b = 0; b < B; ++b) {
                    acc[0][b] += br;
                    acc[1][b] += bz;
                    an[b] = bn;
                }
            }
            for (int32_t q = ptr[i]; q < ptr[i + 1]; ++q) {
                const int64_t tt = t - e.toff[q];
                if (tt < 0) continue;  // the initial state is zero
                const T* __restrict__ hs = h + (tt * N + e.src[q]) * B;
                if (gru && e.toff[q]) {
                    const T* wq = w_hh + e.woff[q];
                    const T w0 = wq[0], w1 = wq[N], w2 = wq[2 * N];
                    T* __restrict__ a0 = acc[0];
                    T* __restrict__ a1 = acc[1];
                    for (int64_t b = 0; b < B; ++b) {
                        a0[b] += w0 * hs[b];
                        a1[b] += w1 * hs[b];
                        an[b] += w2 * hs[b];
                    }
                } else if (G == 1) {
                    const T w0 = w[e.woff[q]];
                    T* __restrict__ a0 = acc[0];
                    for (int64_t b = 0; b < B; ++b) a0[b] += w0 * hs[b];
                } else if (G == 3) {
                    const T* wq = w + e.woff[q];
                    const T w0 = wq[0], w1 = wq[N], w2 = wq[2 * N];
                    T* __restrict__ a0 = acc[0];
                    T* __restrict__ a1 = acc[1];
                    T* __restrict__ a2 = acc[2];
                    for (int64_t b = 0; b < B; ++b) {
                        a0[b] += w0 * hs[b];
                        a1[b] += w1 * hs[b];
                        a2[b] += w2 * hs[b];
                    }
                } else {
                    const T* wq = w + e.woff[q];
                    const T w0 = wq[0], w1 = wq[N], w2 = wq[2 * N], w3 = wq[3 * N];
                    T* __restrict__ a0 = acc[0];
                    T* __restrict__ a1 = acc[1];
                    T* __restrict__ a2 = acc[2];
                    T* __restrict__ a3 = acc[3];
                    for (int64_t b = 0; b < B; ++b) {
                        a0[b] += w0 * hs[b];
                        a1[b] += w1 * hs[b];
                        a2[b] += w2 * hs[b];
                        a3[b] += w3 * hs[b];
                    }
                }
            }
            T* __restrict__ hi = ht + i * B;
            if (s.cell == RNN_TANH || s.cell == RNN_RELU) {
                T* __restrict__ a = at + i * B;
                const T* a0 = acc[0];
                if (s.cell == RNN_TANH)
                    for (int64_t b = 0; b < B; ++b) a[b] = tanh_exact(a0[b]);
                else
                    for (int64_t b = 0; b < B; ++b) a[b] = a0[b] > T(0) ? a0[b] : T(0);
                for (int64_t b = 0; b < B; ++b) hi[b] = a[b];
            } else if (lstm) {
                T* __restrict__ ig = at + i * B;
                T* __restrict__ fg = at + (N + i) * B;
                T* __restrict__ gg = at + (2 * N + i) * B;
                T* __restrict__ og = at + (3 * N + i) * B;
                T* __restrict__ c = xt + i * B;
                const T* cp = t > 0 ? xt - N * B + i * B : nullptr;
                for (int64_t b = 0; b < B; ++b) {
                    ig[b] = sigmoid(acc[0][b]);
                    fg[b] = sigmoid(acc[1][b]);
                    gg[b] = tanh_exact(acc[2][b]);
                    og[b] = sigmoid(acc[3][b]);
                    const T prev = cp ? cp[b] : T(0);
                    c[b] = fg[b] * prev + ig[b] * gg[b];
                    hi[b] = og[b] * tanh_exact(c[b]);
                }
            } else {
                T* __restrict__ rg = at + i * B;
                T* __restrict__ zg = at + (N + i) * B;
                T* __restrict__ ng = at + (2 * N + i) * B;
                T* __restrict__ x = xt + i * B;
                const T* hp = t > 0 ? ht - N * B + i * B : nullptr;
                for (int64_t b = 0; b < B; ++b) {
                    rg[b] = sigmoid(acc[0][b]);
                    zg[b] = sigmoid(acc[1][b]);
                    x[b] = an[b];
                    ng[b] = tanh_exact(acc[2][b] + rg[b] * an[b]);
                    const T prev = hp ? hp[b] : T(0);
                    hi[b] = ng[b] + zg[b] * (prev - ng[b]);
                }
            }
        }
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
    std::vector<T> buf(4 * B + B, T(0));
    T* d[4] = {buf.data(), buf.data() + B, buf.data() + 2 * B, buf.data() + 3 * B};
    T* dan = buf.data() + 4 * B;
    std::vector<T> dc_next(lstm ? N * B : 0, T(0));  // LSTM: cell gradient from step t + 1
    for (int64_t t = s.t - 1; t >= 0; --t) {
        T* dht = dh_all + t * N * B;
        const T* at = act + t * G * N * B;
        const T* ht = h + t * N * B;
        const T* xt = extra ? extra + t * N * B : nullptr;
        for (int64_t i = e.units[m] - 1; i >= 0; --i) {
            const T* __restrict__ dh = dht + i * B;
            if (s.cell == RNN_TANH) {
                const T* a = at + i * B;
                for (int64_t b = 0; b < B; ++b) d[0][b] = dh[b] * (T(1) - a[b] * a[b]);
            } else if (s.cell == RNN_RELU) {
                const T* a = at + i * B;
                for (int64_t b = 0; b < B; ++b) d[0][b] = a[b] > T(0) ? dh[b] : T(0);
            } else if (lstm) {
                const T* ig = at + i * B;
                const T* fg = at + (N + i) * B;
                const T* gg = at + (2 * N + i) * B;
                const T* og = at + (3 * N + i) * B;
                const T* c = xt + i * B;
                const T* cp = t > 0 ? xt - N * B + i * B : nullptr;
                T* __restrict__ dcn = dc_next.data() + i * B;
                for (int64_t b = 0; b < B; ++b) {
                    const T tc = tanh_exact(c[b]);
                    const T dc = dcn[b] + dh[b] * og[b] * (T(1) - tc * tc);
                    const T prev = cp ? cp[b] : T(0);
                    d[0][b] = dc * gg[b] * ig[b] * (T(1) - ig[b]);
                    d[1][b] = dc * prev * fg[b] * (T(1) - fg[b]);
                    d[2][b] = dc * ig[b] * (T(1) - gg[b] * gg[b]);
                    d[3][b] = dh[b] * tc * og[b] * (T(1) - og[b]);
                    dcn[b] = dc * fg[b];
                }
            } else {
                const T* rg = at + i * B;
                const T* zg = at + (N + i) * B;
                const T* ng = at + (2 * N + i) * B;
                const T* x = xt + i * B;
                const T* hp = t > 0 ? ht - N * B + i * B : nullptr;
                T* dhp = t > 0 ? dht - N * B + i * B : nullptr;
                for (int64_t b = 0; b < B; ++b) {
                    const T dn = dh[b] * (T(1) - zg[b]) * (T(1) - ng[b] * ng[b]);
                    const T prev = hp ? hp[b] : T(0);
                    d[2][b] = dn;
                    dan[b] = dn * rg[b];
                    d[1][b] = dh[b] * (prev - ng[b]) * zg[b] * (T(1) - zg[b]);
                    d[0][b] = dn * x[b] * rg[b] * (T(1) - rg[b]);
                }
                if (dhp)
                    for (int64_t b = 0; b < B; ++b) dhp[b] += dh[b] * zg[b];
                T sr = 0, sz = 0, sn = 0;
                for (int64_t b = 0; b < B; ++b) {
                    sr += d[0][b];
                    sz += d[1][b];
                    sn += dan[b];
                }
                gbh[i] += sr;
                gbh[N + i] += sz;
                gbh[2 * N + i] += sn;
            }
            if (i < e.first[m]) {
                for (int64_t k = 0; k < G; ++k)
                    for (int64_t b = 0; b < B; ++b)
                        gtab[codes[b * s.t + t] * K + k * N + i] += d[k][b];
            } else {
                for (int64_t k = 0; k < G; ++k) {
                    T sum = 0;
                    for (int64_t b = 0; b < B; ++b) sum += d[k][b];
                    gtab[k * N + i] += sum;
                }
            }
            for (int32_t q = ptr[i]; q < ptr[i + 1]; ++q) {
                const int64_t tt = t - e.toff[q];
                if (tt < 0) continue;
                const T* __restrict__ hs = h + (tt * N + e.src[q]) * B;
                T* __restrict__ ds = dh_all + (tt * N + e.src[q]) * B;
                const bool apart = gru && e.toff[q];
                const T* wq = (apart ? w_hh : w) + e.woff[q];
                T* gq = (apart ? g_w_hh : g_w) + e.woff[q];
                const T* g2 = apart ? dan : d[2];
                if (G == 1) {
                    const T w0 = wq[0];
                    const T* __restrict__ d0 = d[0];
                    T s0 = 0;
                    for (int64_t b = 0; b < B; ++b) {
                        s0 += d0[b] * hs[b];
                        ds[b] += w0 * d0[b];
                    }
                    gq[0] += s0;
                } else if (G == 3) {
                    const T w0 = wq[0], w1 = wq[N], w2 = wq[2 * N];
                    const T* __restrict__ d0 = d[0];
                    const T* __restrict__ d1 = d[1];
                    const T* __restrict__ d2 = g2;
                    T s0 = 0, s1 = 0, s2 = 0;
                    for (int64_t b = 0; b < B; ++b) {
                        s0 += d0[b] * hs[b];
                        s1 += d1[b] * hs[b];
                        s2 += d2[b] * hs[b];
                        ds[b] += w0 * d0[b] + w1 * d1[b] + w2 * d2[b];
                    }
                    gq[0] += s0;
                    gq[N] += s1;
                    gq[2 * N] += s2;
                } else {
                    const T w0 = wq[0], w1 = wq[N], w2 = wq[2 * N], w3 = wq[3 * N];
                    const T* __restrict__ d0 = d[0];
                    const T* __restrict__ d1 = d[1];
                    const T* __restrict__ d2 = d[2];
                    const T* __restrict__ d3 = d[3];
                    T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                    for (int64_t b = 0; b < B; ++b) {
                        s0 += d0[b] * hs[b];
                        s1 += d1[b] * hs[b];
                        s2 += d2[b] * hs[b];
                        s3 += d3[b] * hs[b];
                        ds[b] += w0 * d0[b] + w1 * d1[b] + w2 * d2[b] + w3 * d3[b];
                    }
                    gq[0] += s0;
                    gq[N] += s1;
                    gq[2 * N] += s2;
                    gq[3 * N] += s3;
                }
            }
        }
    }
}

template <typename T>
void forward_all(const int64_t* shape, const int32_t* ptr, const int32_t* src, const int32_t* toff,
                 const int64_t* woff, const int32_t* units, const int32_t* first, const T* table,
                 const int64_t* codes, const T* w, const T* w_hh, const T* b_hh, T* h, T* act,
                 T* extra) {
    const Shape s{shape[0], shape[1], shape[2], shape[3], shape[4], shape[5], shape[6]};
    const Edges e{ptr, src, toff, woff, units, first};
    const int64_t per = s.t * s.n * s.b;
    for (int64_t m = 0; m < s.g; ++m)
        forward_model(s, e, m, table, codes, w, w_hh, b_hh, h + m * per, act + m * per * s.gates,
                      extra ? extra + m * per : nullptr);
}

template <typename T>
void backward_all(const int64_t* shape, const int32_t* ptr, const int32_t* src,
                  const int32_t* toff, const int64_t* woff, const int32_t* units,
                  const int32_t* first, const int64_t* codes, const T* w, const T* w_hh,
                  const T* h, const T* act, const T* extra, T* dh, T* g_table, T* g_w, T* g_w_hh,
                  T* g_b_hh) {
    const Shape s{shape[0], shape[1], shape[2], shape[3], shape[4], shape[5], shape[6]};
    const Edges e{ptr, src, toff, woff, units, first};
    const int64_t per = s.t * s.n * s.b;
    for (int64_t m = 0; m < s.g; ++m)
        backward_model(s, e, m, codes, w, w_hh, h + m * per, act + m * per * s.gates,
                       extra ? extra + m * per : nullptr, dh + m * per, g_table, g_w, g_w_hh,
                       g_b_hh);
}

}  // namespace

// shape = (G, N, P, B, T, cell, gates). Tensors: table (G, 128, K), codes (B, T), w (G, P, K),
// w_hh (G, N, K) and b_hh (G, K) for GRU (else unused), h (G, T, N, B), act (G, T, gates, N, B),
// extra (G, T, N, B): LSTM cell state, GRU recurrent part of the new gate, unused for RNN.
#define RANDRNN_EXPORT(T, SUFFIX)                                                                \
    extern "C" void randrnn_forward_##SUFFIX(                                                   \
        const int64_t* shape, const int32_t* ptr, const int32_t* src, const int32_t* toff,      \
        const int64_t* woff, const int32_t* units, const int32_t* first, const T* table,        \
        const int64_t* codes, const T* w, const T* w_hh, const T* b_hh, T* h, T* act,           \
        T* extra) {                                                                             \
        forward_all<T>(shape, ptr, src, toff, woff, units, first, table, codes, w, w_hh, b_hh,  \
                       h, act, extra);                                                          \
    }                                                                                           \
    extern "C" void randrnn_backward_##SUFFIX(                                                  \
        const int64_t* shape, const int32_t* ptr, const int32_t* src, const int32_t* toff,      \
        const int64_t* woff, const int32_t* units, const int32_t* first, const int64_t* codes,  \
        const T* w, const T* w_hh, const T* h, const T* act, const T* extra, T* dh,             \
        T* g_table, T* g_w, T* g_w_hh, T* g_b_hh) {                                             \
        backward_all<T>(shape, ptr, src, toff, woff, units, first, codes, w, w_hh, h, act,      \
                        extra, dh, g_table, g_w, g_w_hh, g_b_hh);                               \
    }

RANDRNN_EXPORT(float, f32)
RANDRNN_EXPORT(double, f64)
