// Package e2e holds the console's browser end-to-end tests: e2e_test.go starts a real server on a
// fresh PostgreSQL database and runs console.mjs, a Playwright (playwright-core) script that drives
// Debian's Chromium through the console. `npm ci` in this directory installs playwright-core; no
// browser is ever downloaded. Screenshots of every page land in web/screenshots/ (git-ignored).
package e2e
