/**
 * Eigen-decomposition of a small symmetric matrix by the cyclic Jacobi method. PR needs the spectral
 * norm of a k×k covariance deviation (k = 4 by default) hundreds of times per iteration; Jacobi is
 * exact to machine precision for symmetric matrices, allocation-free with caller-owned buffers, and
 * gives orthonormal eigenvectors even for (near-)repeated eigenvalues.
 */
export interface SymmetricEigenWorkspace {
  readonly size: number;
  /** Working copy of the matrix (row-major size×size), diagonalised in place. */
  readonly matrix: Float64Array;
  /** Eigenvalues, unsorted, after `symmetricEigen`. */
  readonly values: Float64Array;
  /** Eigenvectors as columns: vectors[row * size + column]. */
  readonly vectors: Float64Array;
}

export function createEigenWorkspace(size: number): SymmetricEigenWorkspace {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`createEigenWorkspace: size must be a positive integer, got ${size}.`);
  }
  return {
    size,
    matrix: new Float64Array(size * size),
    values: new Float64Array(size),
    vectors: new Float64Array(size * size),
  };
}

const MAX_SWEEPS = 64;

/**
 * Decomposes the symmetric matrix `input` (row-major, only the upper triangle is trusted) into
 * workspace.values / workspace.vectors so that input = V diag(values) Vᵀ.
 */
export function symmetricEigen(input: ArrayLike<number>, workspace: SymmetricEigenWorkspace): void {
  const { size: n, matrix: a, values, vectors: v } = workspace;
  if (input.length !== n * n) {
    throw new RangeError(
      `symmetricEigen: expected ${n * n} entries for a ${n}×${n} matrix, got ${input.length}.`,
    );
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      // Symmetrise from the upper triangle so round-off in the caller cannot break the method.
      a[i * n + j] = i <= j ? input[i * n + j]! : input[j * n + i]!;
      v[i * n + j] = i === j ? 1 : 0;
    }
  }
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let offDiagonal = 0;
    let diagonal = 0;
    for (let i = 0; i < n; i++) {
      diagonal += a[i * n + i]! * a[i * n + i]!;
      for (let j = i + 1; j < n; j++) offDiagonal += a[i * n + j]! * a[i * n + j]!;
    }
    if (offDiagonal === 0 || offDiagonal <= 1e-30 * diagonal) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        // Rotation angle that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.1), stable form.
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
}
