-- Find a requester by the phone number a caller gives, however it is written: the key is the
-- number's digits; an 11-digit number starting with 1 (the North American country code) loses it,
-- so "+1 (555) 010-0199", "1-555-010-0199" and "555.010.0199" are one key, "5550100199".
-- Stored phones stay as typed; the expression index keeps the look-up index-backed.
CREATE FUNCTION customer_phone_key(phone TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE
        WHEN regexp_replace(phone, '[^0-9]', '', 'g') ~ '^1[0-9]{10}$'
            THEN substr(regexp_replace(phone, '[^0-9]', '', 'g'), 2)
        ELSE regexp_replace(phone, '[^0-9]', '', 'g')
    END;
CREATE INDEX customers_phone_key_idx ON customers (customer_phone_key(phone));
