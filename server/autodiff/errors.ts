/** Typed errors of the VJP builder: each names the problem, the place, and what to do. */

export class UnsupportedOpError extends Error {
  readonly code = "AUTODIFF_UNSUPPORTED_OP";
  constructor(
    readonly opType: string,
    readonly nodeName: string,
    /** From the wrt input to the offending node, e.g. ["input 'x'", "Conv node 'c1'", "Foo node 'f'"]. */
    readonly path: string[],
    /** Every op on a differentiable path that lacks a rule (the first one is described in full). */
    readonly allUnsupported: string[],
  ) {
    super(
      `No VJP rule for op ${opType} (node '${nodeName || "(unnamed)"}') on the differentiable path ` +
        `${path.join(" -> ")}. Add a rule in server/autodiff/rules/, or differentiate with respect to ` +
        `inputs that do not flow through this node.` +
        (allUnsupported.length > 1 ? ` All nodes without a rule: ${allUnsupported.join(", ")}.` : ""),
    );
    this.name = "UnsupportedOpError";
  }
}

export class InvalidVjpRequestError extends Error {
  readonly code = "AUTODIFF_INVALID_REQUEST";
  constructor(message: string) {
    super(message);
    this.name = "InvalidVjpRequestError";
  }
}

/** A rule met a form of its op it cannot differentiate (e.g. a mode not implemented). */
export class UnsupportedOpFormError extends Error {
  readonly code = "AUTODIFF_UNSUPPORTED_FORM";
  constructor(opType: string, nodeName: string, what: string) {
    super(`VJP of ${opType} node '${nodeName || "(unnamed)"}': ${what}`);
    this.name = "UnsupportedOpFormError";
  }
}
