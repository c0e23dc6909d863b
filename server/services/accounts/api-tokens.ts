/** The shape of personal API tokens: `dno_` + 43 base64url characters (32 random bytes). */
export const API_TOKEN_PREFIX = "dno_";
export const API_TOKEN_PATTERN = /^dno_[A-Za-z0-9_-]{43}$/;

export interface ApiTokenView {
  id: string;
  name: string;
  /** The token's first characters, to tell tokens apart in the list. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}
