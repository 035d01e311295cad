DROP INDEX customers_phone_key_idx;
DROP FUNCTION customer_phone_key(TEXT);
