// Op codes shared with the C++ side (native/src/elementwise.cc, reduce.cc, kernels.h). Keep in sync.

export const UNARY = {
  Neg: 0, Exp: 1, Log: 2, Sqrt: 3, Square: 4, Relu: 5, Relu6: 6, Abs: 7, Sigmoid: 8, Tanh: 9, Step: 10,
  Reciprocal: 11, Rsqrt: 12, Elu: 13, LeakyRelu: 14, Log1p: 15, Expm1: 16,
} as const;

export const BINARY = {
  Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6, Pow: 7,
} as const;

export const REDUCE = { Sum: 0, Max: 1, Min: 2, Mean: 3, Prod: 4 } as const;

/** Fused matmul epilogue activations (kernels.h Act). */
export const ACT: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, sigmoid: 4, elu: 5 };
