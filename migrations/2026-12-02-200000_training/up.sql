-- Training records (issue 13): courses, and which staff member completed which course when.
-- The training-effect report (docs/METRICS.md §11) compares the completers' figures before and
-- after their completion date with those of the staff who never completed the course.

CREATE TABLE training_courses (
    id          BIGINT GENERATED ALWAYS AS IDENTITY,
    name        TEXT NOT NULL,
    description TEXT,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT training_courses_pkey PRIMARY KEY (id),
    CONSTRAINT training_courses_name_not_blank CHECK (btrim(name) <> '')
);
-- Names are unique ignoring case ("De-escalation" and "de-escalation" are one course).
CREATE UNIQUE INDEX training_courses_name_key ON training_courses (lower(name));

-- One completion per course and staff member: the date the course was completed (a calendar
-- date), an optional score from 0 to 100, and who recorded it.
CREATE TABLE training_completions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY,
    course_id    BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    completed_on DATE NOT NULL,
    score        SMALLINT,
    recorded_by  BIGINT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT training_completions_pkey PRIMARY KEY (id),
    CONSTRAINT training_completions_course_id_fkey FOREIGN KEY (course_id)
        REFERENCES training_courses (id),
    CONSTRAINT training_completions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT training_completions_recorded_by_fkey FOREIGN KEY (recorded_by)
        REFERENCES users (id),
    CONSTRAINT training_completions_score_check CHECK (score BETWEEN 0 AND 100),
    CONSTRAINT training_completions_course_id_user_id_key UNIQUE (course_id, user_id)
);
CREATE INDEX training_completions_user_id_idx ON training_completions (user_id);

