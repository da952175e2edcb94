package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrNoBinaries means neither PATH nor /usr/lib/postgresql/*/bin holds initdb and postgres.
var ErrNoBinaries = errors.New("PostgreSQL binaries (initdb, postgres) not found on PATH or in /usr/lib/postgresql/*/bin: " +
	"install them (e.g. `apt-get install postgresql`) or set DATABASE_URL to a running server")

// libDirGlob is where Debian-style packages install versioned server binaries.
var libDirGlob = "/usr/lib/postgresql/*/bin"

// FindBinaries returns the directory holding initdb and postgres: PATH first, else the newest
// /usr/lib/postgresql/<version>/bin.
func FindBinaries() (string, error) {
	if initdb, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(initdb)
		if resolved, err := filepath.EvalSymlinks(initdb); err == nil {
			dir = filepath.Dir(resolved)
		}
		if isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
		if pg, err := exec.LookPath("postgres"); err == nil {
			// initdb finds postgres next to itself; a PATH split across directories won't do.
			if filepath.Dir(pg) == filepath.Dir(initdb) {
				return filepath.Dir(initdb), nil
			}
		}
	}
	dirs, _ := filepath.Glob(libDirGlob)
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", ErrNoBinaries
}

// versionOf extracts the major version from /usr/lib/postgresql/<v>/bin, 0 when unparsable.
func versionOf(binDir string) int {
	v, err := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	if err != nil {
		return 0
	}
	return v
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// tail returns the last n lines of a log, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return lastLines(string(b), n)
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func describeExit(err error, logPath string) error {
	if t := tail(logPath, 5); t != "" {
		return fmt.Errorf("%w; last log lines:\n%s", err, t)
	}
	return err
}
