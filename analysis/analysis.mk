# analysis/analysis.mk - Python analysis tests and the run job.  Placeholder.
.PHONY: run-job
run-job:
	@echo "make run: nothing to run yet"
