// Package plans is the fixed catalogue of service plans: how many task slots a service gets and the
// highest parallelism one deployment may ask for.
package plans
