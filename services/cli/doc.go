// Package cli renders the API client's answers for `flowplane <noun> <verb>`: a table of chosen
// columns by default, the raw JSON with -o json, and problem documents as errors that quote their
// code, detail and request id.
package cli
