DROP INDEX tickets_dimensions_idx;
