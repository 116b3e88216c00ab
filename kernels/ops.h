// Element-wise and row operations of the transformer block, all on f32. Plain loops the
// compiler vectorises; they are a small share of the time next to MatMul.
#pragma once

#include <cstdint>

namespace gapbench::kernels {

// y = x / sqrt(mean(x^2) + eps) * w  (w may be null: no scale). x and y may alias.
void RmsNorm(const float* x, const float* w, float* y, int64_t n, float eps);

enum class RopeStyle {
  kNorm,  // pairs (x[2i], x[2i+1])         -- GGUF llama (converter permuted Q/K rows)
  kNeox,  // pairs (x[i], x[i + n_rot/2])   -- qwen2, gemma, phi3, HF llama
};

// Rotates the first n_rot dims of each of n_heads heads of x ([n_heads, head_dim]) in place for
// position pos: theta_i = pos * freq_scale * base^(-2i/n_rot) / freq_factors[i] (factors may be
// null).
void Rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos, float base,
          float freq_scale, const float* freq_factors, RopeStyle style);

// In-place numerically stable softmax over n values.
void Softmax(float* x, int64_t n);

// out = silu(gate) * up.
// out[i] = silu(gate[i]) * up[i]; out may alias gate. SIMD (Highway, run-time dispatch, its
// vectorised exp) in swiglu.cpp; SwiGluReference is the plain scalar definition (libm exp).
void SwiGlu(const float* gate, const float* up, float* out, int64_t n);
void SwiGluReference(const float* gate, const float* up, float* out, int64_t n);

// out[i] = gelu_tanh(gate[i]) * up[i] (GeGLU with the tanh approximation of GELU, as Gemma's
// gelu_pytorch_tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))); out may alias gate.
// GeGluTanh: SIMD (swiglu.cpp), as x / (1 + exp(-2 z)) with Highway's exp, over ParallelFor
// chunks; within 4e-6 max(1, |ref|) of GeGluTanhReference, the plain scalar definition (libm
// tanh, whose 1 + tanh(z) cancels for x near -5: there the SIMD form is the more accurate).
void GeGluTanh(const float* gate, const float* up, float* out, int64_t n);
void GeGluTanhReference(const float* gate, const float* up, float* out, int64_t n);

// x[i] = cap * tanh(x[i] / cap) (Gemma's logit soft-cap). SoftCap: SIMD (softcap.cpp, Highway's
// tanh, within 4 ulp) over ParallelFor chunks; SoftCapReference: the scalar definition (libm).
void SoftCap(float* x, int64_t n, float cap);
void SoftCapReference(float* x, int64_t n, float cap);

// y += x.
void AddInPlace(float* y, const float* x, int64_t n);

}  // namespace gapbench::kernels
