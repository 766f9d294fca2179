// The bf16-compute product (matmul_bf16dot's semantics: a rounded to bfloat16, to nearest even;
// products of two bfloat16 values, exact in float32; float32 sums) on AMX tiles, where the CPU
// has AMX-BF16 (Intel Xeon from Sapphire Rapids on) and Linux lets the process use it. One
// tdpbf16ps multiplies a 16×32 tile of bfloat16 by a 32×16 one into 16×16 float32 sums, 16,384
// flops, where one vdpbf16ps does 64: on the 2-core Xeon these were written on, PyTorch's bf16
// linear (oneDNN on AMX) ran 512×896·4864×896ᵀ at 2,500 GFLOP/s while the vdpbf16ps kernels ran
// the LoRA step's products at 150–300.
//
// The order of the sums: each output is one chain over k in steps of 32 (a tile's depth); within
// a step the tile unit adds the 32 products its own way (pairs, as vdpbf16ps), flushing
// subnormals as vdpbf16ps does. Tile row i of the sums depends on row i of a alone, and the steps
// do not depend on M, so a row's numbers do not depend on the rows beside it; the thread split
// cuts along W only, so neither do they depend on the thread count.
//
// Two kernels, one per layout of the frozen weight, as in gemm-bf16dot.cc:
// - out = a·Wᵀ, W (N, K) out-in (every forward projection): outᵀ = W·aᵀ, with W's rows loaded
//   as tiles where they lie (16 rows of 64 bytes, K·2 bytes apart: W is never packed) and a's
//   rows as the pairs panel of gemm-bf16.h (16 lanes of rows per tile, 128 bytes a pair). A
//   block of 32 of W's rows stays in L2 while every 32-row chunk of a pass (at most 1 MiB of
//   panels) runs against it.
// - out = a·W, W (K, N) (the input gradient dy·W): a's rounded rows as tiles, W's 32-column
//   strips packed into pairs a K block at a time, the sums of a K block kept as float32 between
//   blocks (a tile stored and loaded again is the same chain as one kept in the tile).
#include "kernels.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "cpu.h"
#include "amx.h"
#include "gemm-bf16.h"
#include "pool.h"
#include "scratch.h"
#include "transpose16.h"

#if defined(AK_X86) && defined(__linux__)
#define AK_AMX 1
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#define AK_TARGET_AMX __attribute__((target("amx-tile,amx-bf16,avx512f,avx512dq,avx512bw,avx512vl,avx512bf16,avx2,fma")))
#endif

namespace ak {
namespace {

#ifdef AK_AMX
// Linux gives a process the 8 KiB of tile state only once it asks (arch_prctl, Linux 5.16 on).
bool request_tiles() {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  if (!(d & (1u << 22)) || !(d & (1u << 24))) return false;  // AMX-BF16, AMX-TILE
  constexpr long kGetPerm = 0x1022, kRequestPerm = 0x1023, kTileData = 18;
  if (syscall(SYS_arch_prctl, kRequestPerm, kTileData) != 0) return false;
  unsigned long perm = 0;
  return syscall(SYS_arch_prctl, kGetPerm, &perm) == 0 && ((perm >> kTileData) & 1);
}
const bool kTiles = request_tiles();
std::atomic<bool> g_on{true};

struct alignas(64) TileConfig {
  uint8_t palette = 1, start_row = 0, reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// All eight tiles 16 rows of 64 bytes: tmm0–3 sums (16×16 float32), tmm4–5 the left operand
// (16 rows × 32 bfloat16), tmm6–7 the right one (16 pairs × 16 lanes). Each thread loads it: the
// configuration is a thread's state. A constant in memory: built on the stack in a function of its
// own (amx::configure, out of line), GCC 12 dropped the stores of colsb and rows ahead of ldtilecfg.
constexpr TileConfig every_tile() {
  TileConfig cfg;
  for (int t = 0; t < 8; t++) cfg.colsb[t] = 64, cfg.rows[t] = 16;
  return cfg;
}
const TileConfig kEveryTile = every_tile();

AK_TARGET_AMX void configure_tiles() { _tile_loadconfig(&kEveryTile); }

thread_local ScratchBuffer t_xp, t_pad, t_panel, t_part;

// out[i, j] (+)= v for the rows and columns of a 32×32 block that lie in out; sums[2h + g] is
// the tile of rows 16h.., columns 16g.. (transposed: of columns 16h.., rows 16g..).
AK_TARGET_AMX void scatter(float* out, int64_t ldo, const float (&sums)[4][256], int64_t rows, int64_t cols, bool transposed,
                           bool accumulate) {
  for (int h = 0; h < 2; h++)
    for (int g = 0; g < 2; g++) {
      // The tile's rows of out start at r0, its columns at c0.
      const int64_t r0 = transposed ? 16 * g : 16 * h, c0 = transposed ? 16 * h : 16 * g;
      const int64_t nr = std::min<int64_t>(16, rows - r0), nc = std::min<int64_t>(16, cols - c0);
      if (nr <= 0 || nc <= 0) continue;
      __m512 r[16];
      for (int x = 0; x < 16; x++) r[x] = _mm512_load_ps(sums[2 * h + g] + 16 * x);
      if (transposed) transpose16(r);
      const __mmask16 mask = nc >= 16 ? 0xffff : __mmask16((1u << nc) - 1);
      for (int64_t x = 0; x < nr; x++) {
        float* o = out + (r0 + x) * ldo + c0;
        const __m512 v = accumulate ? _mm512_add_ps(_mm512_maskz_loadu_ps(mask, o), r[x]) : r[x];
        _mm512_mask_storeu_ps(o, mask, v);
      }
    }
}

AK_TARGET_AMX void store_sums(float (&sums)[4][256]) {
  _tile_stored(0, sums[0], 64);
  _tile_stored(1, sums[1], 64);
  _tile_stored(2, sums[2], 64);
  _tile_stored(3, sums[3], 64);
}

// The 32×32 block of out the next tiles will write (rows of it past `rows` left out): its 64
// cache lines are asked for with the intent to write, a few a step, while the tiles run. Written
// cold, each line was read from DRAM (a store's read for ownership) while the tiles waited: a
// fresh 512×1536 output halved the product's speed (the LoRA step's projections ran at 700
// GFLOP/s against 1,400 with the output in cache).
struct OutAhead {
  float* p = nullptr;
  int64_t ld = 0, rows = 0;
};

// tmm0–3 += the 2×2 tiles of a0 and a1 (16 rows each of 32 bfloat16 a step, stride_a bytes
// apart) times b's 32 lanes in two halves (a pairs panel: 16 pair rows of 128 bytes a step); with
// `half`, b's first 16 lanes only (tmm1 and tmm3 left as they are). With `next`, each step also
// asks (into L2) for the 64 bytes of each of the 32 rows (ld_next elements apart) that the same
// step of W's next block will load: a decoding step streams W from DRAM, and its tile loads, 32
// rows apart, are a pattern the hardware prefetchers follow poorly. Streamed, C's and D's
// 32-row projections and LM heads took 10–40% less time with it (node dist/bench/bf16dot-stream.js).
//
// The full steps are software-pipelined: a tile is loaded for the next step as soon as this
// step's last product that reads it has been issued (tmm4 after the first row's two, tmm6 and
// tmm7 after the second row's), so the loads wait on the tile unit less. Against loading all four
// tiles ahead of the four products, alternating in one process on the LoRA step's shapes (AMX
// Xeon, 2 cores; medians of 40 calls): 512×896·4864×896ᵀ 1,534–1,734 → 1,776–2,080 GFLOP/s,
// 512×896·896×896ᵀ +16–23%, the a·W shapes and the LM head's two +3–12%. Each sum is the same
// chain: only when the tiles are loaded changes.
AK_TARGET_AMX void dot_steps(const uint16_t* a0, const uint16_t* a1, int64_t stride_a, const uint32_t* b, int64_t steps, bool half,
                             const uint16_t* next = nullptr, int64_t ld_next = 0, OutAhead oa = {}) {
  const int64_t lines = 2 * oa.rows, per = oa.p ? (lines + steps - 1) / steps : 0;
  const auto ahead = [&](int64_t s) __attribute__((always_inline)) {
    if (next)
      for (int r = 0; r < 32; r++) _mm_prefetch(reinterpret_cast<const char*>(next + r * ld_next + 32 * s), _MM_HINT_T1);
    for (int64_t l = s * per, e = std::min(lines, l + per); l < e; l++) _m_prefetchw(oa.p + (l >> 1) * oa.ld + 16 * (l & 1));
  };
  if (half) {
    for (int64_t s = 0; s < steps; s++) {
      ahead(s);
      _tile_loadd(4, a0 + 32 * s, stride_a);
      _tile_loadd(5, a1 + 32 * s, stride_a);
      _tile_loadd(6, b + 512 * s, 128);
      _tile_dpbf16ps(0, 4, 6);
      _tile_dpbf16ps(2, 5, 6);
    }
    return;
  }
  if (steps <= 0) return;
  _tile_loadd(4, a0, stride_a);
  _tile_loadd(6, b, 128);
  _tile_loadd(7, b + 16, 128);
  for (int64_t s = 0; s < steps; s++) {
    ahead(s);
    const bool more = s + 1 < steps;
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_loadd(5, a1 + 32 * s, stride_a);
    if (more) _tile_loadd(4, a0 + 32 * (s + 1), stride_a);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
    if (more) {
      _tile_loadd(6, b + 512 * (s + 1), 128);
      _tile_loadd(7, b + 512 * (s + 1) + 16, 128);
    }
  }
}

constexpr int64_t kBlocksAtOnce = 8;

// out = a·Wᵀ for W's 32-row blocks [lo, hi) against every chunk's panel (see the top).
AK_TARGET_AMX void t_blocks(float* out, const uint32_t* xp, int64_t panel, int64_t M, const uint16_t* w, int64_t N,
                            int64_t K, int64_t lda, bool accumulate, int64_t lo, int64_t hi) {
  configure_tiles();
  alignas(64) float sums[4][256];
  const int64_t steps = lda / 32, chunks = (M + 31) / 32;
  // Where out's rows lie far apart (N ≥ 8192: an LM head's logits), up to 8 of W's blocks (512 KiB,
  // kept in L2) run against each chunk in turn, so that each row of out is written 1 KiB at a time
  // rather than 128 bytes: each 128-byte piece of a row 600 KB from the last cost a write to
  // memory far more than its bytes. D's head, 256×896·151936×896ᵀ, alternating in one process:
  // 713–916 against 490–628 GFLOP/s (medians of 6 calls). Shorter rows gained nothing.
  const int64_t G = N >= 8192 ? std::max<int64_t>(1, std::min<int64_t>(kBlocksAtOnce, (1 << 19) / (64 * lda))) : 1;
  const uint16_t* wbs[kBlocksAtOnce];
  int64_t ldws[kBlocksAtOnce];
  for (int64_t b0 = lo; b0 < hi; b0 += G) {
    const int64_t b1 = std::min(hi, b0 + G);
    for (int64_t b = b0; b < b1; b++) {
      const int64_t j = 32 * b, rows = std::min<int64_t>(32, N - j);
      const uint16_t* wb = w + j * K;
      int64_t ldw = K;
      if (rows < 32 || K % 32) {
        uint16_t* pad = reinterpret_cast<uint16_t*>(t_pad.get(size_t(G * 32 * lda / 2))) + (b - b0) * 32 * lda;
        std::memset(pad, 0, size_t(32 * lda * 2));
        for (int64_t r = 0; r < rows; r++) std::memcpy(pad + r * lda, wb + r * K, size_t(K * 2));
        wb = pad, ldw = lda;
      }
      wbs[b - b0] = wb, ldws[b - b0] = ldw;
    }
    for (int64_t c = 0; c < chunks; c++) {
      const int64_t m = std::min<int64_t>(32, M - 32 * c);
      const uint32_t* xc = xp + c * panel;
      for (int64_t b = b0; b < b1; b++) {
        const int64_t j = 32 * b, rows = std::min<int64_t>(32, N - j);
        const uint16_t *wb = wbs[b - b0], *wb16 = wb + 16 * ldws[b - b0];
        _tile_zero(0);
        _tile_zero(1);
        _tile_zero(2);
        _tile_zero(3);
        // W's next block (where it is read in place) is asked for while its first chunk runs.
        const bool ahead = c == 0 && b + 1 < hi && j + 64 <= N && K % 32 == 0;
        // The block of out after this one: the group's next, the next chunk's first, or the next group's.
        OutAhead oa;
        if (b + 1 < b1) oa = {out + 32 * c * N + j + 32, N, m};
        else if (c + 1 < chunks) oa = {out + 32 * (c + 1) * N + 32 * b0, N, std::min<int64_t>(32, M - 32 * (c + 1))};
        else if (b1 < hi) oa = {out + 32 * b1, N, std::min<int64_t>(32, M)};
        dot_steps(wb, wb16, ldws[b - b0] * 2, xc, steps, m <= 16, ahead ? w + (j + 32) * K : nullptr, K, oa);
        store_sums(sums);
        scatter(out + 32 * c * N + j, N, sums, m, rows, true, accumulate);
      }
    }
  }
  _tile_release();
}

constexpr int64_t kGroup = 8;   // strips packed at once (W's rows read along their length)

// k per packed block of W's strips (a multiple of 32): all of K up to 1024 (no sums kept between
// blocks), else 256 (16 KiB a strip, in L1 beside a's rows). Against 512 throughout, alternating in
// one process (medians of 40 calls, AMX Xeon): 512×896·896×4864 +11–15%, 512×4864·4864×896 and
// the LM head's 256×151936·151936×896 +6%.
int64_t strip_depth(int64_t K) { return K <= 1024 ? (K + 31) / 32 * 32 : 256; }

// out (m, N) (+)= ab (mpad rows, zeros past m)·W for W's 32-column strips [lo, hi), KC deep a block.
AK_TARGET_AMX void n_strips(float* out, const uint16_t* ab, int64_t lda, int64_t m, const uint16_t* w, int64_t N, int64_t K,
                            int64_t KC, bool accumulate, int64_t lo, int64_t hi) {
  configure_tiles();
  const int64_t panel = KC / 2 * 32;
  uint32_t* panels = reinterpret_cast<uint32_t*>(t_panel.get(size_t(kGroup * panel)));
  const int64_t chunks = (m + 31) / 32;
  // The sums between K blocks take 4 KiB a strip and chunk. Where a thread's strips need more
  // than 1 MiB of them, the strips run in spans of 512 KiB of sums (8 strips at 512 rows), each
  // span through every K block: D's 76 strips a thread at 512×896·896×4864 kept 4.9 MB of sums
  // that went to memory and back (one core, builds alternating: 434–501 GFLOP/s against 534–683
  // in spans). Where they fit, one span, as before: each span reads a's rows again.
  const int64_t all = hi - lo, sums_bytes = chunks * 4096;
  const int64_t span = all * sums_bytes <= (1 << 20) ? all : std::max<int64_t>(kGroup, (1 << 19) / sums_bytes / kGroup * kGroup);
  float* part = K > KC ? t_part.get(size_t(std::min(span, hi - lo) * chunks * 1024)) : nullptr;
  alignas(64) float sums[4][256];
  for (int64_t s0 = lo; s0 < hi; s0 += span) {
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
      const int64_t kn = std::min(KC, K - k0), steps = (kn + 31) / 32, pairs = (kn + 1) / 2;
      const bool first = k0 == 0, last = k0 + KC >= K;
      for (int64_t g = s0; g < std::min(hi, s0 + span); g += kGroup) {
        const int64_t here = std::min(kGroup, hi - g);
        bf16::pack_pairs(panels, panel, w, N, K, k0, kn, 32 * g, here);
        if (pairs < 16 * steps)  // a short last block: the tiles read whole steps
          for (int64_t t = 0; t < here; t++) std::memset(panels + t * panel + pairs * 32, 0, size_t((16 * steps - pairs) * 128));
        for (int64_t t = 0; t < here; t++) {
          const uint32_t* pt = panels + t * panel;
          const int64_t j = 32 * (g + t), cols = std::min<int64_t>(32, N - j);
          for (int64_t c = 0; c < chunks; c++) {
            float* pc = part ? part + ((g - s0 + t) * chunks + c) * 1024 : nullptr;
            if (first) {
              _tile_zero(0);
              _tile_zero(1);
              _tile_zero(2);
              _tile_zero(3);
            } else {
              _tile_loadd(0, pc, 64);
              _tile_loadd(1, pc + 256, 64);
              _tile_loadd(2, pc + 512, 64);
              _tile_loadd(3, pc + 768, 64);
            }
            const uint16_t* a0 = ab + 32 * c * lda + k0;
            OutAhead oa;  // on the last K block, the block of out after this one
            if (last && c + 1 < chunks) oa = {out + 32 * (c + 1) * N + j, N, std::min<int64_t>(32, m - 32 * (c + 1))};
            else if (last && t + 1 < here) oa = {out + j + 32, N, std::min<int64_t>(32, m)};
            dot_steps(a0, a0 + 16 * lda, lda * 2, pt, steps, false, nullptr, 0, oa);
            if (!last) {
              _tile_stored(0, pc, 64);
              _tile_stored(1, pc + 256, 64);
              _tile_stored(2, pc + 512, 64);
              _tile_stored(3, pc + 768, 64);
            } else {
              store_sums(sums);
              scatter(out + 32 * c * N + j, N, sums, std::min<int64_t>(32, m - 32 * c), cols, false, accumulate);
            }
          }
        }
      }
    }
  }
  _tile_release();
}
#endif

}  // namespace

bool has_amx() {
#ifdef AK_AMX
  return kTiles && g_on.load(std::memory_order_relaxed) && has_bf16dot();
#else
  return false;
#endif
}

namespace amx {
bool usable() { return has_amx(); }
#ifdef AK_AMX
AK_TARGET_AMX void configure() { configure_tiles(); }
AK_TARGET_AMX void release() { _tile_release(); }
#else
void configure() {}
void release() {}
#endif
}  // namespace amx

bool set_amx(bool on) {
#ifdef AK_AMX
  g_on.store(on, std::memory_order_relaxed);
#else
  (void)on;
#endif
  return has_amx();
}

void matmul_bf16_amx(float* out, const float* a, const uint16_t* w, int64_t M, int64_t N, int64_t K, bool transB,
                     bool accumulate) {
#ifdef AK_AMX
  if (K <= 0) {  // an empty sum: the tiles would read W at stride 0
    if (!accumulate) std::memset(out, 0, size_t(M * N) * sizeof(float));
    return;
  }
  const int64_t lda = std::max<int64_t>(32, (K + 31) / 32 * 32);
  if (transB) {
    const AmxPart one{out, w, N, accumulate};
    matmul_bf16_amx_parts(a, M, K, &one, 1);
    return;
  }
  // Rows of a rounded per block: 512 where they fit in 1 MiB (each block packs W's strips again),
  // else 256.
  const int64_t MB = lda <= 1024 ? 512 : 256, kc = strip_depth(K);
  for (int64_t m0 = 0; m0 < M; m0 += MB) {
    const int64_t m = std::min(MB, M - m0), mpad = (m + 31) / 32 * 32;
    uint16_t* ab = reinterpret_cast<uint16_t*>(t_xp.get(size_t(mpad * lda / 2)));
    const float* am = a + m0 * K;
    parallel_range(m, 16, [&](int64_t lo, int64_t hi) { bf16::round_rows(ab, lda, am, lo, hi, K); });
    std::memset(ab + m * lda, 0, size_t((mpad - m) * lda * 2));
    parallel_shares((N + 31) / 32, [&](int64_t lo, int64_t hi) { n_strips(out + m0 * N, ab, lda, m, w, N, K, kc, accumulate, lo, hi); });
  }
#else
  (void)out, (void)a, (void)w, (void)M, (void)N, (void)K, (void)transB, (void)accumulate;
#endif
}

void matmul_bf16_amx_parts(const float* a, int64_t M, int64_t K, const AmxPart* parts, int64_t count) {
#ifdef AK_AMX
  if (M <= 0) return;
  if (K <= 0) {  // empty sums: the tiles would read W at stride 0
    for (int64_t p = 0; p < count; p++)
      if (!parts[p].accumulate) std::memset(parts[p].out, 0, size_t(M * parts[p].N) * sizeof(float));
    return;
  }
  // Up to 1 MiB of a's panels a pass over W (half of a core's L2 on the Xeon this was written
  // on): 2048×896·4864×896ᵀ, the prefill's, ran at 985 GFLOP/s with all 3.7 MB in one pass. The
  // blocks of every part are numbered one after the other and cut into one share a thread.
  const int64_t lda = std::max<int64_t>(32, (K + 31) / 32 * 32);
  const int64_t all = (M + 31) / 32, panel = lda / 2 * 32, group = std::max<int64_t>(1, (1 << 20) / (panel * 4));
  int64_t blocks = 0;
  for (int64_t p = 0; p < count; p++) blocks += (parts[p].N + 31) / 32;
  uint32_t* xp = reinterpret_cast<uint32_t*>(t_xp.get(size_t(std::min(all, group) * panel)));
  for (int64_t c0 = 0; c0 < all; c0 += group) {
    const int64_t n = std::min(group, all - c0), rows = std::min<int64_t>(M - 32 * c0, 32 * n);
    parallel_range(n, 1, [&](int64_t lo, int64_t hi) { bf16::pack_chunks(xp, lda / 2, a + 32 * c0 * K, rows, K, lda, lo, hi); });
    parallel_shares(blocks, [&](int64_t lo, int64_t hi) {
      int64_t at = 0;
      for (int64_t p = 0; p < count; p++) {
        const AmxPart& q = parts[p];
        const int64_t nb = (q.N + 31) / 32, b0 = std::max(lo - at, int64_t(0)), b1 = std::min(hi - at, nb);
        if (b0 < b1) t_blocks(q.out + 32 * c0 * q.N, xp, panel, rows, q.w, q.N, K, lda, q.accumulate, b0, b1);
        at += nb;
      }
    });
  }
#else
  (void)a, (void)M, (void)K, (void)parts, (void)count;
#endif
}

}  // namespace ak
