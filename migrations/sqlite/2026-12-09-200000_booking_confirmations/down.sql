DROP TABLE booking_confirmations;
