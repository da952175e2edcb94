package assign

import "log/slog"

// PathIntegration is where a worker asks for the connection settings of a service integration
// one of its tasks uses: GET with the worker token as bearer and ?job=<job id>&attempt=<n>.
// The server answers only while the worker holds a task of that job whose graph names the
// integration (404 otherwise).
func PathIntegration(workerID, integrationID string) string {
	return PathRegister + "/" + workerID + "/integrations/" + integrationID
}

// Integration answers PathIntegration: a service integration as a connector needs it. Secret
// holds the opened secret settings (password, sasl_password): it travels only in this answer to
// the worker that connects with it, never in a plan, the Raft log, the public API or a log line.
type Integration struct {
	ID     string            `json:"id"`
	Type   string            `json:"type"` // postgres, kafka
	Config map[string]any    `json:"config"`
	Secret map[string]string `json:"secret,omitempty"`
}

// String never shows the secret settings (e.g. when an Integration is printed by mistake).
func (i Integration) String() string { return "integration " + i.ID + " (" + i.Type + ")" }

// LogValue keeps the secret settings out of logs, whatever the slog handler.
func (i Integration) LogValue() slog.Value { return slog.StringValue(i.String()) }
