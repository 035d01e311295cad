DROP TABLE training_completions;
DROP TABLE training_courses;
