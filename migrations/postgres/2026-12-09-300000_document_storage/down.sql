DROP INDEX documents_provider_size;
