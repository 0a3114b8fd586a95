-- Households in imports: the offer (as JSON) of people in one file who share an address,
-- stored with each row it concerns, with the provider's choice and the contact's name.
ALTER TABLE import_rows ADD COLUMN household TEXT;
