package filesystem

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// part is a rolled in-progress file waiting for its checkpoint to complete. Paths are
// relative to the sink's directory.
type part struct {
	Checkpoint uint64 `json:"checkpoint"`
	Temp       string `json:"temp"`  // the in-progress file
	Final      string `json:"final"` // the file once committed
}

// check refuses a restored part naming a file outside the sink's directory, or a committed
// name that would be hidden.
func (p part) check() error {
	tb, fb := filepath.Base(p.Temp), filepath.Base(p.Final)
	if !filepath.IsLocal(p.Temp) || !filepath.IsLocal(p.Final) || !strings.HasPrefix(tb, ".") ||
		!strings.HasSuffix(tb, ".inprogress") || hidden(fb) {
		return fmt.Errorf("%w: part %+v", ErrCorruptState, p)
	}
	return nil
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") }

// partFile is an open in-progress file.
type partFile struct {
	f      *os.File
	w      *bufio.Writer
	part   part
	size   int64
	opened time.Time
}

func (pf *partFile) write(line []byte) error {
	pf.w.Write(line)
	pf.size += int64(len(line)) + 1
	return pf.w.WriteByte('\n')
}

// file returns the open part file of a partition, creating it.
func (s *sink) file(partition string) (*partFile, error) {
	if pf := s.open[partition]; pf != nil {
		return pf, nil
	}
	if partition != "" && !filepath.IsLocal(partition) {
		return nil, fmt.Errorf("filesystem sink: partition %q leaves the directory", partition)
	}
	name := fmt.Sprintf("%s-%d-%d-%d.%s", s.prefix, s.attempt, s.subtask, s.st.Seq, s.cfg.Extension)
	s.st.Seq++
	p := part{Temp: filepath.Join(partition, "."+name+".inprogress"), Final: filepath.Join(partition, name)}
	if err := mkdir(filepath.Join(s.cfg.Path, partition)); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(s.cfg.Path, p.Temp), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("filesystem sink: %w", err)
	}
	pf := &partFile{f: f, w: bufio.NewWriterSize(f, 64<<10), part: p, opened: time.Now()}
	s.open[partition] = pf
	return pf, nil
}

// roll syncs and closes every open part file into the parts ready for the next barrier.
func (s *sink) roll() error {
	for partition, pf := range s.open {
		err := pf.w.Flush()
		if err == nil {
			err = pf.f.Sync()
		}
		if cerr := pf.f.Close(); err == nil {
			err = cerr
		}
		delete(s.open, partition)
		if err != nil {
			return fmt.Errorf("filesystem sink: roll %s: %w", pf.part.Temp, err)
		}
		s.ready = append(s.ready, pf.part)
	}
	return nil
}

// commit renames the selected pending parts into place and syncs their directories. A part
// renamed before (a commit repeated after a restore) is skipped.
func (s *sink) commit(sel func(part) bool) error {
	var rest []part
	dirs := map[string]bool{}
	for i, p := range s.st.Pending {
		if !sel(p) {
			rest = append(rest, p)
			continue
		}
		err := os.Rename(filepath.Join(s.cfg.Path, p.Temp), filepath.Join(s.cfg.Path, p.Final))
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Stat(filepath.Join(s.cfg.Path, p.Final)); serr == nil {
				continue // committed before a failure
			}
			err = fmt.Errorf("%w: %s (checkpoint %d)", ErrMissingPart, p.Temp, p.Checkpoint)
		}
		if err != nil {
			s.st.Pending = append(rest, s.st.Pending[i:]...)
			return fmt.Errorf("filesystem sink: commit checkpoint %d: %w", p.Checkpoint, err)
		}
		dirs[filepath.Dir(p.Final)] = true
	}
	s.st.Pending = rest
	for d := range dirs {
		if err := syncDir(filepath.Join(s.cfg.Path, d)); err != nil {
			return fmt.Errorf("filesystem sink: %w", err)
		}
	}
	return nil
}

// cleanOldAttempts deletes in-progress files of older attempts written by the old subtasks
// whose state this subtask inherits; after Open's commit no checkpoint names them.
func (s *sink) cleanOldAttempts() error {
	return filepath.WalkDir(s.cfg.Path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		att, sub, ok := s.parseInProgress(d.Name())
		if !ok || att >= s.attempt || sub%s.par != s.subtask {
			return nil
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("filesystem sink: %w", err)
		}
		return nil
	})
}

// parseInProgress reads the attempt and subtask of an in-progress file of this sink's prefix
// and extension.
func (s *sink) parseInProgress(name string) (attempt uint64, subtask int, ok bool) {
	rest, ok1 := strings.CutPrefix(name, "."+s.prefix+"-")
	rest, ok2 := strings.CutSuffix(rest, "."+s.cfg.Extension+".inprogress")
	f := strings.Split(rest, "-")
	if !ok1 || !ok2 || len(f) != 3 {
		return 0, 0, false
	}
	att, err1 := strconv.ParseUint(f[0], 10, 64)
	sub, err2 := strconv.Atoi(f[1])
	_, err3 := strconv.ParseInt(f[2], 10, 64)
	return att, sub, err1 == nil && err2 == nil && err3 == nil
}

func mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("filesystem sink: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
