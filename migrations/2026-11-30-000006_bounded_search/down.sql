CREATE OR REPLACE FUNCTION tickets_search_vector_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.subject, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(NEW.description, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(
            (SELECT string_agg(body, ' ') FROM comments WHERE ticket_id = NEW.id), '')), 'C');
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION comments_search_vector_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets SET search_vector = search_vector || setweight(to_tsvector('english', NEW.body), 'C')
     WHERE id = NEW.ticket_id;
    RETURN NEW;
END;
$$;
