package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/flowplane/flowplane/workers/exchange/internal/bench"
)

// Child roles: the receiving side of a two-process measurement runs in a copy of this program.
const (
	roleExchange = "exchange-recv"
	roleRaw      = "raw-recv"
)

// runChild runs a receiving role, announcing "addr <address>" and then "done" on stdout.
func runChild(role string, n int64) error {
	announce := func(addr string) { fmt.Println("addr", addr) }
	var err error
	switch role {
	case roleExchange:
		err = bench.ReceiveExchange(int(n), announce)
	case roleRaw:
		err = bench.ReceiveRaw(n, announce)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err == nil {
		fmt.Println("done")
	}
	return err
}

// spawn starts a receiving child process and returns its address and a function that waits
// for it to report completion and exit.
func spawn(role string, n int64) (string, func() error, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(exe, "-role", role, "-n", strconv.FormatInt(n, 10))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "addr ") {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return "", nil, errors.New("receiver process did not announce its address")
	}
	addr := strings.TrimPrefix(sc.Text(), "addr ")
	done := func() error {
		ok := sc.Scan() && sc.Text() == "done"
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("receiver process: %w", err)
		}
		if !ok {
			return errors.New("receiver process ended without reporting done")
		}
		return nil
	}
	return addr, done, nil
}
