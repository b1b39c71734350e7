// Scalar activations for the TypeScript backend; codes and formulas mirror assembly/activations.ts.
import { ACTIVATION_CODES as A } from "../model/spec.js";

export const LEAKY_SLOPE = 0.01;
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

export function actForward(z: number, act: number): number {
  switch (act) {
    case A.relu:
      return z > 0 ? z : 0;
    case A["leaky-relu"]:
      return z > 0 ? z : z * LEAKY_SLOPE;
    case A.tanh:
      return Math.tanh(z);
    case A.sigmoid:
      return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    case A.gelu:
      return 0.5 * z * (1 + Math.tanh(GELU_K * (z + GELU_C * z * z * z)));
    default:
      return z;
  }
}

/** d act(z)/dz from z alone (the stored activation may carry a dropout mask). */
export function actGrad(z: number, act: number): number {
  switch (act) {
    case A.relu:
      return z > 0 ? 1 : 0;
    case A["leaky-relu"]:
      return z > 0 ? 1 : LEAKY_SLOPE;
    case A.tanh: {
      const t = Math.tanh(z);
      return 1 - t * t;
    }
    case A.sigmoid: {
      const s = actForward(z, act);
      return s * (1 - s);
    }
    case A.gelu: {
      const t = Math.tanh(GELU_K * (z + GELU_C * z * z * z));
      return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * z * z);
    }
    default:
      return 1;
  }
}
