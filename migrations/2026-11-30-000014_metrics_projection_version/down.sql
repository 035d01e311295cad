DROP TABLE metrics_projection;
