// Package auth authenticates API callers and decides what they may do.
//
// Tokens are JWTs signed with Ed25519 (EdDSA) keys kept in PostgreSQL, the private halves sealed
// with the master key. Parsing pins the algorithm to EdDSA and requires kid, exp, iss and aud; the
// jti is stored only as a SHA-256 hash, and every request looks it up, so a revoked token stops
// working on its next request. Passwords are hashed with argon2id.
//
// Rights: a platform admin is admin of every project; anyone else has the role of their
// membership. A token may narrow both to one project and a lower role. Another project's objects
// answer 404 (they are invisible), a too-low role answers 403.
package auth
