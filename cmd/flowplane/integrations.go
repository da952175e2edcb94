package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/connectors/egress"
	"github.com/flowplane/flowplane/scheduler"
	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
)

// storeIntegrations is the scheduler's IntegrationResolver over the control plane's store: the
// scheduler has checked that the asking worker runs a task of a job naming the integration; the
// store opens the sealed secret of the job's project only, and of the job's service.
func storeIntegrations(st *store.Store) scheduler.IntegrationResolver {
	return func(ctx context.Context, project, service, id string) (assign.Integration, error) {
		c, err := st.ResolveIntegration(ctx, project, id)
		if errors.Is(err, problem.ErrNotFound) || (err == nil && service != "" && c.ServiceID != service) {
			return assign.Integration{}, fmt.Errorf("%w: integration %s of project %s", scheduler.ErrNotFound, id, project)
		}
		if err != nil {
			return assign.Integration{}, err
		}
		return assign.Integration{ID: c.ID, Type: c.Type, Config: c.Config, Secret: c.Secret}, nil
	}
}

// connectorConfig is how a worker's connectors reach the outside: the egress allow list and the
// directory of filesystem tables.
type connectorConfig struct {
	egressAllow string
	egress      egress.Policy // parsed by validate
	fileRoot    string        // absolute and created by validate
}

// defaultFileRoot is the filesystem tables' directory of `flowplane worker`, under its working
// directory.
const defaultFileRoot = "flowplane-files"

func addConnectorFlags(f *pflag.FlagSet, c *connectorConfig) {
	f.StringVar(&c.egressAllow, "egress-allow", "",
		"connector endpoints allowed besides public addresses: '', 'loopback', 'private' or 'loopback,private' (link-local and metadata addresses are always refused)")
	f.StringVar(&c.fileRoot, "file-root", defaultFileRoot, "directory the 'path' of filesystem tables resolves in (relative: under the working directory)")
}

func (c *connectorConfig) validate() error {
	p, err := egress.ParseAllow(c.egressAllow)
	if err != nil {
		return fmt.Errorf("--egress-allow: %w", err)
	}
	c.egress = p
	if c.fileRoot == "" {
		return errors.New("--file-root must name a directory")
	}
	abs, err := filepath.Abs(c.fileRoot)
	if err != nil {
		return fmt.Errorf("--file-root: %w", err)
	}
	c.fileRoot = abs // sinks create it when they first write
	return nil
}

// devFiles makes the directory of `flowplane dev`'s filesystem tables: a temporary one, removed
// by cleanup.
func devFiles() (dir string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", "flowplane-files-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}
