// Package dataflow is the engine shared by every tier: the job graph, record batches and their
// encoding, operators, keyed state and snapshots, connectors and the SQL dialect (dataflow/sql).
//
// It depends on nothing else in Flowplane, so the control plane, the scheduler and the workers can all
// import it without cycles (DESIGN §2).
package dataflow
