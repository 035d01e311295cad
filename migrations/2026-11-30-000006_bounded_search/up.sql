-- Keep the full-text vector of a ticket under PostgreSQL's 1 MB tsvector limit: index the first
-- 4,000 characters of each text, and stop adding words (rather than failing the write) once the
-- vector is full.
CREATE OR REPLACE FUNCTION tickets_search_vector_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        NEW.search_vector :=
            setweight(to_tsvector('english', left(coalesce(NEW.subject, ''), 4000)), 'A') ||
            setweight(to_tsvector('english', left(coalesce(NEW.description, ''), 4000)), 'B') ||
            setweight(to_tsvector('english', coalesce(
                (SELECT string_agg(left(body, 4000), ' ') FROM comments WHERE ticket_id = NEW.id),
                '')), 'C');
    EXCEPTION WHEN program_limit_exceeded THEN
        NEW.search_vector :=
            setweight(to_tsvector('english', left(coalesce(NEW.subject, ''), 4000)), 'A') ||
            setweight(to_tsvector('english', left(coalesce(NEW.description, ''), 4000)), 'B');
    END;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION comments_search_vector_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        UPDATE tickets
           SET search_vector = search_vector || setweight(to_tsvector('english', left(NEW.body, 4000)), 'C')
         WHERE id = NEW.ticket_id;
    EXCEPTION WHEN program_limit_exceeded THEN
        -- The ticket's vector is full: the comment is stored, its words are not indexed.
        NULL;
    END;
    RETURN NEW;
END;
$$;
