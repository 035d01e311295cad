-- Asset tags and serial numbers are read off labels and typed by hand: `dcj-ph-0042` is the
-- same tag as `DCJ-PH-0042`. Uniqueness per organization also ignores case (the stored spelling
-- is kept; the exact-spelling constraints stay for ON CONFLICT look-ups).
CREATE UNIQUE INDEX assets_organization_id_asset_tag_lower_key
    ON assets (organization_id, lower(asset_tag));
CREATE UNIQUE INDEX assets_organization_id_serial_number_lower_key
    ON assets (organization_id, lower(serial_number));
